//! `truceline draft diff` and `truceline draft impact`: the talks, offline
//! (spec/negotiation.md). Reading files and printing only; the gap report and the impact
//! tally are the negotiation crate's.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use truceline_engine::agreement::PartyIndex;
use truceline_engine::{
    classify_chunk_pair_into, ClassifiedChunk, Engine, Event, LineError, PairClassifier,
};
use truceline_negotiation::{diff, html, impact, Draft, DraftSource, Tally};

use crate::exit::bad_input;
use crate::load::{read_limited, MAX_AGREEMENT_BYTES, MAX_GEOMETRY_BYTES};
use crate::replay::read_chunks;

#[derive(clap::Subcommand)]
pub enum Command {
    /// The gap between two drafts: zones (area only in A, only in B, in both), lines
    /// (Hausdorff offset), rules, parties and categories key by key; JSON on stdout.
    Diff(DiffArgs),
    /// The breaches each rule and each party would have had under the baseline and under
    /// the draft, over the same position reports (one pass over the file); JSON on stdout.
    Impact(ImpactArgs),
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// Draft A (agreement.toml; its geometry file is found beside it).
    pub a: PathBuf,
    /// Draft B.
    pub b: PathBuf,
    /// Also write the report as a self-contained printable HTML page here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct ImpactArgs {
    /// The baseline draft (A).
    #[arg(long)]
    pub baseline: PathBuf,
    /// The draft to weigh against it (B).
    #[arg(long)]
    pub draft: PathBuf,
    /// Position reports, JSON Lines in time order.
    pub tracks: PathBuf,
    /// Worker threads for reading and classifying (default: the machine's cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

pub fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Diff(args) => run_diff(args),
        Command::Impact(args) => run_impact(args),
    }
}

/// Reads and validates a draft: agreement.toml and the geometry file it names, each
/// within the limits `check` and `replay` use.
pub fn load_draft(path: &Path) -> anyhow::Result<Draft> {
    let text = read_limited(path, MAX_AGREEMENT_BYTES)?;
    let source = DraftSource::parse(&text, &path.display().to_string())
        .map_err(|err| bad_input(err.to_string()))?;
    let geometry_path = path
        .parent()
        .unwrap_or(Path::new("."))
        .join(source.geometry_path());
    let geometry = read_limited(&geometry_path, MAX_GEOMETRY_BYTES)?;
    source
        .build(&geometry, &geometry_path.display().to_string())
        .map_err(|err| bad_input(err.to_string()))
}

fn run_diff(args: DiffArgs) -> anyhow::Result<ExitCode> {
    let a = load_draft(&args.a)?;
    let b = load_draft(&args.b)?;
    let report = diff(&a, &b);
    if let Some(path) = &args.html {
        // Written beside and renamed, so that a half-written page is never left.
        let partial = path.with_extension("partial");
        std::fs::write(&partial, html::render(&report))
            .with_context(|| format!("writing {}", partial.display()))?;
        std::fs::rename(&partial, path)
            .with_context(|| format!("moving the page into {}", path.display()))?;
    }
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &report)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn run_impact(args: ImpactArgs) -> anyhow::Result<ExitCode> {
    let a = load_draft(&args.baseline)?;
    let b = load_draft(&args.draft)?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
        .clamp(1, 64);
    let input = File::open(&args.tracks)
        .map_err(|err| bad_input(format!("{}: {err}", args.tracks.display())))?;
    let names = [
        args.baseline.display().to_string(),
        args.draft.display().to_string(),
    ];
    let (tallies, reports) = replay_both(
        [
            Engine::new(a.agreement.clone()),
            Engine::new(b.agreement.clone()),
        ],
        input,
        &args.tracks.display().to_string(),
        &names,
        threads,
    )?;
    let report = impact(&tallies[0], &tallies[1], reports);
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &report)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

type Pair = [ClassifiedChunk; 2];

/// The replay's pipeline (replay.rs) with two engines: one reader thread cuts the file
/// into chunks, `threads` workers read each line once and classify it for both drafts,
/// this thread applies each chunk pair in file order to the baseline's engine and passes
/// it on to a second thread that applies it to the draft's, each counting breaches as
/// they come. A bad line stops both; the first in the file is the one reported.
fn replay_both(
    engines: [Engine; 2],
    input: impl io::Read + Send,
    input_name: &str,
    draft_names: &[String; 2],
    threads: usize,
) -> anyhow::Result<([Tally; 2], u64)> {
    let [mut engine_a, mut engine_b] = engines;
    let classifiers =
        PairClassifier::new(engine_a.classifier().clone(), engine_b.classifier().clone());
    let classifiers = &classifiers;
    let mut tally_a = Tally::new(engine_a.agreement().clone());
    let mut tally_b = Tally::new(engine_b.agreement().clone());
    let (work_tx, work_rx) = crossbeam_channel::bounded::<(u64, Vec<u8>, u64)>(threads * 2);
    let (done_tx, done_rx) = crossbeam_channel::bounded::<(u64, Box<Pair>)>(threads * 2);
    let (b_tx, b_rx) = crossbeam_channel::bounded::<Box<Pair>>(threads * 2);
    let (free_buffer_tx, free_buffer_rx) = crossbeam_channel::bounded::<Vec<u8>>(threads * 4);
    let (free_pair_tx, free_pair_rx) = crossbeam_channel::bounded::<Box<Pair>>(threads * 4);
    let mut reports = 0u64;

    let failure = std::thread::scope(|scope| -> anyhow::Result<Option<(usize, LineError)>> {
        let reader = scope.spawn(move || read_chunks(input, work_tx, free_buffer_rx));
        for _ in 0..threads {
            let (work_rx, done_tx) = (work_rx.clone(), done_tx.clone());
            let (free_buffer_tx, free_pair_rx) = (free_buffer_tx.clone(), free_pair_rx.clone());
            scope.spawn(move || {
                for (seq, bytes, first_line) in work_rx {
                    let mut pair = free_pair_rx.try_recv().unwrap_or_default();
                    let [ca, cb] = &mut *pair;
                    classify_chunk_pair_into(classifiers, &bytes, first_line, [ca, cb]);
                    let _ = free_buffer_tx.try_send(bytes);
                    if done_tx.send((seq, pair)).is_err() {
                        return;
                    }
                }
            });
        }
        drop((work_rx, done_tx, free_buffer_tx, free_pair_rx));
        let free_pair_b = free_pair_tx.clone();
        let tally_b = &mut tally_b;
        let applier_b = scope.spawn(move || -> Option<LineError> {
            let (mut events, mut causes) = (Vec::new(), Vec::new());
            for pair in b_rx {
                events.clear();
                causes.clear();
                let applied = engine_b.apply_chunk_attributed(&pair[1], &mut events, &mut causes);
                tally_b.count(&events, &causes);
                if let Err(err) = applied {
                    return Some(err);
                }
                let _ = free_pair_b.try_send(pair);
            }
            None
        });

        let mut waiting: BTreeMap<u64, Box<Pair>> = BTreeMap::new();
        let mut next = 0u64;
        let mut events: Vec<Event> = Vec::new();
        let mut causes: Vec<Option<PartyIndex>> = Vec::new();
        let mut failed_a = None;
        'apply: for (seq, pair) in &done_rx {
            waiting.insert(seq, pair);
            while let Some(pair) = waiting.remove(&next) {
                next += 1;
                events.clear();
                causes.clear();
                let applied = engine_a.apply_chunk_attributed(&pair[0], &mut events, &mut causes);
                tally_a.count(&events, &causes);
                reports += pair[0].report_count() as u64;
                // The draft's engine gets the chunk even when the baseline's refused a
                // line in it: the reports before that line count under both.
                let sent = b_tx.send(pair).is_ok();
                if let Err(err) = applied {
                    failed_a = Some(err);
                    break 'apply;
                }
                if !sent {
                    break 'apply;
                }
            }
        }
        drop((done_rx, b_tx));
        let failed_b = applier_b.join().expect("the applier thread does not panic");
        let read = reader.join().expect("the reader thread does not panic");
        let failure = match (failed_a, failed_b) {
            (Some(a), Some(b)) if b.line < a.line => Some((1, b)),
            (Some(a), _) => Some((0, a)),
            (None, Some(b)) => Some((1, b)),
            (None, None) => None,
        };
        if failure.is_none() {
            read.with_context(|| format!("reading {input_name}"))?;
        }
        Ok(failure)
    })?;
    if let Some((k, err)) = failure {
        return Err(bad_input(format!(
            "{input_name}:{}: {} (replaying under {})",
            err.line, err.message, draft_names[k]
        )));
    }
    Ok(([tally_a, tally_b], reports))
}
