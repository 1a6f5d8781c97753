//! `truceline patrol coverage TASK.toml TRACKS.jsonl`: a patrol's coverage of its route,
//! offline, exactly as spec/operations.md fixes it and as the server computes it for a
//! patrol report, so any party can recompute the force's figures from the same reports.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};
use serde::Deserialize;
use toml::Spanned;
use truceline_engine::agreement::Shape;
use truceline_engine::{parse_report, Timestamp};
use truceline_operations::{
    coverage, Fix, PatrolTask, RouteSamples, DEFAULT_CORRIDOR_M, DEFAULT_MAX_GAP_S,
};

use crate::exit::bad_input;
use crate::load::read_limited;

/// A task file is a few kilobytes; a route of 10,000 positions well under a megabyte.
const MAX_TASK_BYTES: u64 = 4 * 1024 * 1024;
/// A month of one-minute reports of 50 patrols is about 250 MB of JSON Lines.
const MAX_TRACKS_BYTES: u64 = 2 * 1024 * 1024 * 1024;

#[derive(Subcommand)]
pub enum Command {
    /// Print a patrol task's coverage of its route by the patrol's reports (spec/operations.md).
    Coverage(CoverageArgs),
}

#[derive(ClapArgs)]
pub struct CoverageArgs {
    /// The task: one `[task]` table (id, unit, route, from, until, corridor_m, max_gap_s).
    task: PathBuf,
    /// Position reports as JSON Lines (spec/engine.md 1.3); the task's unit's are used.
    tracks: PathBuf,
}

pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Coverage(args) => {
            let task = read_task(&args.task)?;
            let fixes = read_fixes(&args.tracks, &task.unit)?;
            let c = coverage(&task, &RouteSamples::new(&task.route), &fixes);
            println!("{}", serde_json::to_string(&c)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskFile {
    task: Spanned<TaskTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TaskTable {
    id: String,
    unit: String,
    route: Spanned<RouteValue>,
    /// The agreement whose line `route` names, relative to the task file.
    #[serde(default)]
    agreement: Option<String>,
    from: Spanned<String>,
    until: Spanned<String>,
    #[serde(default)]
    corridor_m: Option<Spanned<f64>>,
    #[serde(default)]
    max_gap_s: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RouteValue {
    Positions(Vec<[f64; 2]>),
    Line(String),
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn read_task(path: &Path) -> anyhow::Result<PatrolTask> {
    let text = read_limited(path, MAX_TASK_BYTES)?;
    let file = path.display().to_string();
    let at = |offset: usize, what: String| {
        bad_input(format!("{file}:{}: {what}", line_of(&text, offset)))
    };
    let doc: TaskFile = toml::from_str(&text).map_err(|e| match e.span() {
        Some(span) => at(span.start, e.message().to_string()),
        None => bad_input(format!("{file}: {}", e.message())),
    })?;
    let task_at = doc.task.span().start;
    let t = doc.task.into_inner();
    let time = |s: &Spanned<String>, key: &str| {
        Timestamp::parse(s.get_ref()).map_err(|e| at(s.span().start, format!("{key}: {e}")))
    };
    let from = time(&t.from, "from")?;
    let until = time(&t.until, "until")?;
    let route_at = t.route.span().start;
    let route = match t.route.into_inner() {
        RouteValue::Positions(p) => p,
        RouteValue::Line(id) => {
            let Some(agreement) = &t.agreement else {
                return Err(at(
                    route_at,
                    format!("route {id:?} names a line: give `agreement = \"PATH\"` beside it"),
                ));
            };
            let agreement_path = path.parent().unwrap_or(Path::new(".")).join(agreement);
            let a = crate::load::agreement(&agreement_path)?;
            let feature = a.features.iter().find(|f| f.id == id);
            match feature.map(|f| &f.shape) {
                Some(Shape::Line(line)) => line.lines().iter().flatten().copied().collect(),
                _ => {
                    return Err(at(
                        route_at,
                        format!(
                            "route: {id:?} is not a line of {}",
                            agreement_path.display()
                        ),
                    ))
                }
            }
        }
    };
    let corridor_m = t
        .corridor_m
        .as_ref()
        .map_or(DEFAULT_CORRIDOR_M, |c| *c.get_ref());
    let max_gap_s = match &t.max_gap_s {
        None => DEFAULT_MAX_GAP_S,
        Some(g) => u32::try_from(*g.get_ref()).map_err(|_| {
            at(
                g.span().start,
                format!("max_gap_s {}: from 1 to 86400", g.get_ref()),
            )
        })?,
    };
    let task = PatrolTask {
        id: t.id,
        unit: t.unit,
        route,
        from,
        until,
        corridor_m,
        max_gap_s,
    };
    task.validate().map_err(|e| {
        use truceline_operations::TaskError;
        let offset = match e {
            TaskError::Corridor(_) => t.corridor_m.as_ref().map_or(task_at, |c| c.span().start),
            TaskError::MaxGap(_) => t.max_gap_s.as_ref().map_or(task_at, |g| g.span().start),
            TaskError::Window { .. } => t.from.span().start,
            _ => route_at,
        };
        at(offset, e.to_string())
    })?;
    Ok(task)
}

/// The unit's reports, in order; every line must be a valid report.
fn read_fixes(path: &Path, unit: &str) -> anyhow::Result<Vec<Fix>> {
    let text = read_limited(path, MAX_TRACKS_BYTES)
        .with_context(|| format!("reading the tracks {}", path.display()))?;
    let mut fixes: Vec<Fix> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_ascii();
        if line.is_empty() {
            continue;
        }
        let r = parse_report(line.as_bytes())
            .map_err(|e| bad_input(format!("{}:{}: {e}", path.display(), i + 1)))?;
        if r.unit != unit {
            continue;
        }
        if fixes.last().is_some_and(|last| r.t < last.t) {
            return Err(bad_input(format!(
                "{}:{}: {unit}'s reports go back in time (the track is read in order)",
                path.display(),
                i + 1
            )));
        }
        fixes.push(Fix {
            t: r.t,
            lon: r.lon,
            lat: r.lat,
        });
    }
    Ok(fixes)
}
