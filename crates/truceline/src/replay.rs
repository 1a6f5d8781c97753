//! `truceline replay` and `truceline demo`: position reports from a file through the engine.
//!
//! The file is read in chunks of whole lines by one thread; worker threads parse and
//! classify chunks in parallel (the position-only work: JSON, time, point-in-zone,
//! distances); the calling thread applies them in file order and writes the events. Memory
//! stays bounded by the channels' depth, whatever the file's size.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use truceline_engine::report::MAX_LINE_BYTES;
use truceline_engine::{
    classify_chunk_amended_into, ClassifiedChunk, Classifier, Engine, Event, EventKind,
};

use crate::exit::bad_input;
use crate::load;

pub(crate) const CHUNK_BYTES: usize = 1 << 20;
/// Files larger than this get a progress bar (when stderr is a terminal).
const PROGRESS_MIN_BYTES: u64 = 32 << 20;

#[derive(clap::Args)]
pub struct Args {
    /// The agreement (agreement.toml; its geometry file is found beside it).
    pub agreement: PathBuf,
    /// Position reports, JSON Lines in time order.
    pub tracks: PathBuf,
    /// Write the events here instead of stdout (only once the whole replay succeeded).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads for reading and classifying (default: the machine's cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// A new version of the agreement (its agreement.toml) entering into force `--at` an
    /// instant: reports before it are evaluated under AGREEMENT, at or after it under this
    /// one (shared/spec/negotiation.md, entry into force).
    #[arg(long, requires = "at", value_name = "AGREEMENT")]
    pub amend: Option<PathBuf>,
    /// The instant the `--amend` version enters into force (RFC 3339 UTC).
    #[arg(long, requires = "amend", value_name = "TIME")]
    pub at: Option<String>,
    /// The mediator's certifications that phases are complete, JSON Lines of
    /// `{"phase", "t"}`: the rules `active_after` a phase start its delay after `t`
    /// (docs/agreement-format.md, phases).
    #[arg(long, value_name = "FILE")]
    pub certifications: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct DemoArgs {
    /// How many events of the timeline to print.
    #[arg(long, default_value_t = 25)]
    pub timeline: usize,
}

/// What a replay did, for the summary.
pub struct Summary {
    pub reports: u64,
    pub units: usize,
    pub events_by_kind: BTreeMap<&'static str, u64>,
    pub elapsed: Duration,
}

impl Summary {
    pub fn print(&self, out: &mut impl Write) -> io::Result<()> {
        let seconds = self.elapsed.as_secs_f64();
        writeln!(
            out,
            "replayed {} reports of {} units in {:.2} s ({:.0} reports/s)",
            self.reports,
            self.units,
            seconds,
            self.reports as f64 / seconds.max(1e-9)
        )?;
        let total: u64 = self.events_by_kind.values().sum();
        writeln!(out, "{total} events")?;
        for (kind, n) in &self.events_by_kind {
            writeln!(out, "  {kind:<20} {n}")?;
        }
        Ok(())
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let agreement = load::agreement(&args.agreement)?;
    let mut engine = Engine::new(agreement);
    if let (Some(path), Some(at)) = (&args.amend, &args.at) {
        let at = truceline_engine::Timestamp::parse(at)
            .map_err(|err| bad_input(format!("--at {at:?}: {err}")))?;
        let next = Arc::new(Classifier::new(load::agreement(path)?));
        engine
            .schedule_amendment(next, at)
            .map_err(|err| bad_input(format!("{}: {err}", path.display())))?;
    }
    if let Some(path) = &args.certifications {
        crate::certifications::apply(path, &mut engine)?;
    }
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .clamp(1, 64);
    let input = File::open(&args.tracks)
        .map_err(|err| bad_input(format!("{}: {err}", args.tracks.display())))?;
    let size = input.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = (io::stderr().is_terminal() && size >= PROGRESS_MIN_BYTES).then(|| {
        let bar = indicatif::ProgressBar::new(size);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("a valid template"),
        );
        bar
    });

    // Events go to a temporary file beside --out and are renamed into place only when the
    // replay succeeded, so a failed run never leaves a partial answer behind.
    let (mut sink, partial): (Box<dyn Write>, Option<PathBuf>) = match &args.out {
        Some(path) => {
            let partial = path.with_extension("partial");
            let file = File::create(&partial)
                .with_context(|| format!("creating {}", partial.display()))?;
            (
                Box::new(io::BufWriter::with_capacity(1 << 16, file)),
                Some(partial),
            )
        }
        None => (
            Box::new(io::BufWriter::with_capacity(1 << 16, io::stdout().lock())),
            None,
        ),
    };
    let tracks_name = args.tracks.display().to_string();
    let result = replay(
        &mut engine,
        input,
        &tracks_name,
        threads,
        |events, bytes| {
            if let Some(bar) = &progress {
                bar.inc(bytes);
            }
            write_events(&mut sink, events)
        },
    );
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    let summary = match result {
        Ok(summary) => summary,
        Err(err) => {
            drop(sink);
            if let Some(partial) = &partial {
                let _ = std::fs::remove_file(partial);
            }
            return Err(err);
        }
    };
    sink.flush().context("writing the events")?;
    drop(sink);
    if let (Some(partial), Some(out)) = (partial, &args.out) {
        std::fs::rename(&partial, out)
            .with_context(|| format!("moving the events into {}", out.display()))?;
    }
    summary.print(&mut io::stderr().lock())?;
    Ok(ExitCode::SUCCESS)
}

pub fn write_events(sink: &mut impl Write, events: &[Event]) -> io::Result<()> {
    // One buffer and one write per chunk's events, written by the engine's own writer
    // (what serde_json would write, at a fraction of the cost on this sequential path).
    let mut out = Vec::with_capacity(events.len() * 160);
    for event in events {
        event.write_json(&mut out);
        out.push(b'\n');
    }
    sink.write_all(&out)
}

/// Replays `input` through `engine`, calling `on_events(events, bytes_done)` after each chunk.
pub fn replay(
    engine: &mut Engine,
    input: impl Read + Send,
    input_name: &str,
    threads: usize,
    mut on_events: impl FnMut(&[Event], u64) -> io::Result<()>,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let classifier: Arc<Classifier> = engine.classifier().clone();
    let next: Option<(Arc<Classifier>, truceline_engine::Timestamp)> = engine
        .scheduled_amendment()
        .map(|(next, at)| (next.clone(), at));
    let (work_tx, work_rx) = crossbeam_channel::bounded::<(u64, Vec<u8>, u64)>(threads * 2);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<(u64, ClassifiedChunk, u64)>(threads * 2);
    // Buffers and chunks go back to be reused: fewer page faults, steady memory.
    let (free_buffer_tx, free_buffer_rx) = crossbeam_channel::bounded::<Vec<u8>>(threads * 4);
    let (free_chunk_tx, free_chunk_rx) = crossbeam_channel::bounded::<ClassifiedChunk>(threads * 4);
    let mut summary = Summary {
        reports: 0,
        units: 0,
        events_by_kind: BTreeMap::new(),
        elapsed: Duration::ZERO,
    };
    for kind in EventKind::ALL {
        summary.events_by_kind.insert(kind.as_str(), 0);
    }

    std::thread::scope(|scope| -> anyhow::Result<()> {
        let reader = scope.spawn(move || read_chunks(input, work_tx, free_buffer_rx));
        for _ in 0..threads {
            let (work_rx, done_tx, classifier, next) = (
                work_rx.clone(),
                done_tx.clone(),
                classifier.clone(),
                next.clone(),
            );
            let (free_buffer_tx, free_chunk_rx) = (free_buffer_tx.clone(), free_chunk_rx.clone());
            scope.spawn(move || {
                for (seq, bytes, first_line) in work_rx {
                    let mut chunk = free_chunk_rx.try_recv().unwrap_or_default();
                    let next = next.as_ref().map(|(c, at)| (&**c, *at));
                    classify_chunk_amended_into(&classifier, next, &bytes, first_line, &mut chunk);
                    let size = bytes.len() as u64;
                    let _ = free_buffer_tx.try_send(bytes);
                    if done_tx.send((seq, chunk, size)).is_err() {
                        return;
                    }
                }
            });
        }
        drop((work_rx, done_tx, free_buffer_tx, free_chunk_rx));

        // Chunks arrive in any order; apply them in file order.
        let mut waiting: BTreeMap<u64, (ClassifiedChunk, u64)> = BTreeMap::new();
        let mut next = 0u64;
        let mut events = Vec::new();
        let outcome = (|| -> anyhow::Result<()> {
            for (seq, chunk, bytes) in &done_rx {
                waiting.insert(seq, (chunk, bytes));
                while let Some((chunk, bytes)) = waiting.remove(&next) {
                    next += 1;
                    events.clear();
                    let applied = engine.apply_chunk(&chunk, &mut events);
                    summary.reports += chunk.report_count() as u64;
                    for event in &events {
                        *summary
                            .events_by_kind
                            .entry(event.kind.as_str())
                            .or_default() += 1;
                    }
                    on_events(&events, bytes).context("writing the events")?;
                    if let Err(err) = applied {
                        summary.reports -= chunk.report_count() as u64;
                        return Err(bad_input(format!(
                            "{input_name}:{}: {}",
                            err.line, err.message
                        )));
                    }
                    let _ = free_chunk_tx.try_send(chunk);
                }
            }
            Ok(())
        })();
        // On error, dropping the receiver stops the workers, which stops the reader.
        drop(done_rx);
        let read = reader.join().expect("the reader thread does not panic");
        outcome?;
        read.with_context(|| format!("reading {input_name}"))?;
        Ok(())
    })?;
    summary.units = engine.unit_count();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Splits the input into chunks of whole lines, numbering chunks and lines.
pub(crate) fn read_chunks(
    mut input: impl Read,
    work: crossbeam_channel::Sender<(u64, Vec<u8>, u64)>,
    free_buffers: crossbeam_channel::Receiver<Vec<u8>>,
) -> io::Result<()> {
    let mut seq = 0u64;
    let mut first_line = 1u64;
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut buffer = free_buffers.try_recv().unwrap_or_default();
        buffer.clear();
        buffer.append(&mut carry);
        let filled = buffer.len();
        // read_to_end fills spare capacity without zeroing it first.
        buffer.reserve(CHUNK_BYTES);
        (&mut input)
            .take(CHUNK_BYTES as u64)
            .read_to_end(&mut buffer)?;
        let end = buffer.len();
        let eof = end < filled + CHUNK_BYTES;
        if buffer.is_empty() {
            return Ok(());
        }
        // Keep the partial last line for the next chunk. A line longer than any report
        // may be goes as it is, to be refused with its line number.
        if !eof {
            match memchr::memrchr(b'\n', &buffer) {
                Some(last) => {
                    carry.extend_from_slice(&buffer[last + 1..]);
                    buffer.truncate(last + 1);
                }
                None if buffer.len() < MAX_LINE_BYTES => {
                    carry = buffer;
                    continue;
                }
                None => {}
            }
        }
        let lines = memchr::memchr_iter(b'\n', &buffer).count() as u64;
        if work.send((seq, buffer, first_line)).is_err() {
            return Ok(());
        }
        seq += 1;
        first_line += lines;
        if eof {
            return Ok(());
        }
    }
}

// ---- demo ------------------------------------------------------------------------------

const EXAMPLE_AGREEMENT: &str = include_str!("../../../examples/golan-illustrative/agreement.toml");
const EXAMPLE_ZONES: &str = include_str!("../../../examples/golan-illustrative/zones.geojson");
const EXAMPLE_TRACKS: &[u8] = include_bytes!("../../../examples/golan-illustrative/tracks.jsonl");

/// Loads the bundled example agreement (illustrative geometry, not the legal lines).
/// The bundled example's two files, as the server names its version by them.
pub fn example_files() -> truceline_server::talks::Bundle {
    truceline_server::talks::Bundle {
        agreement_toml: EXAMPLE_AGREEMENT.to_owned(),
        geometry: EXAMPLE_ZONES.to_owned(),
    }
}

pub fn example_agreement() -> anyhow::Result<Arc<truceline_engine::Agreement>> {
    let source = truceline_engine::AgreementSource::parse(
        EXAMPLE_AGREEMENT,
        "examples/golan-illustrative/agreement.toml",
    )?;
    Ok(Arc::new(source.build(
        EXAMPLE_ZONES,
        "examples/golan-illustrative/zones.geojson",
    )?))
}

pub fn demo(args: DemoArgs) -> anyhow::Result<ExitCode> {
    let agreement = example_agreement()?;
    let mut engine = Engine::new(agreement.clone());
    let mut all = Vec::new();
    let summary = replay(
        &mut engine,
        EXAMPLE_TRACKS,
        "examples/golan-illustrative/tracks.jsonl",
        2,
        |events, _| {
            all.extend_from_slice(events);
            Ok(())
        },
    )?;
    let mut out = io::stdout().lock();
    crate::check::describe(&agreement, &mut out)?;
    writeln!(out)?;
    summary.print(&mut out)?;
    writeln!(out)?;
    write_findings(&agreement, &all, args.timeline, &mut out)?;
    Ok(ExitCode::SUCCESS)
}

/// A person's view of a replay: per rule, how often it was broken and what is still open.
pub fn write_findings(
    agreement: &truceline_engine::Agreement,
    events: &[Event],
    timeline: usize,
    out: &mut impl Write,
) -> io::Result<()> {
    writeln!(out, "Rule by rule")?;
    for rule in &agreement.rules {
        let mine: Vec<&Event> = events.iter().filter(|e| *e.rule == *rule.id).collect();
        let breaches = mine.iter().filter(|e| e.kind.is_breach()).count();
        let mut open: BTreeMap<String, &Event> = BTreeMap::new();
        for e in &mine {
            let key = format!(
                "{}|{}",
                e.unit.as_deref().unwrap_or(""),
                e.other.as_deref().unwrap_or("")
            );
            if e.kind.is_breach() {
                open.insert(key, e);
            } else if e.kind == EventKind::CapRestored {
                open.clear();
            } else {
                open.remove(&key);
            }
        }
        writeln!(
            out,
            "  {:<26} {:<10} {:>4} breaches, {:>3} still open at the end",
            rule.id,
            rule.kind.name(),
            breaches,
            open.len()
        )?;
    }
    writeln!(out)?;
    writeln!(out, "First {timeline} events (UTC)")?;
    for e in events.iter().take(timeline) {
        writeln!(out, "  {}", one_line(e))?;
    }
    if events.len() > timeline {
        writeln!(
            out,
            "  ... {} more (truceline replay writes them all as JSON Lines)",
            events.len() - timeline
        )?;
    }
    Ok(())
}

/// One event as a sentence-like line.
pub fn one_line(e: &Event) -> String {
    let who = match (&e.unit, &e.other) {
        (Some(u), Some(o)) => format!("{u} and {o}"),
        (Some(u), None) => u.to_string(),
        _ => String::new(),
    };
    let what = match e.kind {
        EventKind::ExclusionBreach => format!("{who} entered {}", e.zone.as_deref().unwrap_or("?")),
        EventKind::ExclusionCleared => format!("{who} left {}", e.zone.as_deref().unwrap_or("?")),
        EventKind::CapExceeded => format!(
            "{} {} in {}: {} over the cap of {}",
            e.party.as_deref().unwrap_or("?"),
            e.category.as_deref().unwrap_or("?"),
            e.zone.as_deref().unwrap_or("?"),
            e.value.unwrap_or(0),
            e.limit.unwrap_or(0)
        ),
        EventKind::CapRestored => format!(
            "{} {} in {}: back to {} (cap {})",
            e.party.as_deref().unwrap_or("?"),
            e.category.as_deref().unwrap_or("?"),
            e.zone.as_deref().unwrap_or("?"),
            e.value.unwrap_or(0),
            e.limit.unwrap_or(0)
        ),
        EventKind::StandoffBreach | EventKind::StandoffCleared => format!(
            "{who} at {:.2} km from {} (minimum {} km)",
            e.distance_km.unwrap_or(0.0),
            e.target.as_deref().unwrap_or("?"),
            e.limit_km.unwrap_or(0.0)
        ),
        EventKind::SeparationBreach | EventKind::SeparationCleared => format!(
            "{who} {:.2} km apart (minimum {} km)",
            e.distance_km.unwrap_or(0.0),
            e.limit_km.unwrap_or(0.0)
        ),
    };
    let reason = if e.reason.is_some() {
        " (rule no longer in force)"
    } else {
        ""
    };
    format!(
        "{}  {:<18} {:<24} {what}{reason}",
        e.t,
        e.kind.as_str(),
        e.rule
    )
}
