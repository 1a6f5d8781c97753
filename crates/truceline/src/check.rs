//! `truceline check`: validate an agreement and describe it for a person.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use truceline_engine::agreement::{ForceFilter, RuleKind, Shape};
use truceline_engine::Agreement;

use crate::load;

#[derive(clap::Args)]
pub struct Args {
    /// The agreement (agreement.toml; its geometry file is found beside it).
    pub agreement: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let agreement = load::agreement(&args.agreement)?;
    // The server's [notices] settings are checked as strictly as the rules.
    let policy = load::notice_policy(&args.agreement)?;
    let mut out = io::stdout().lock();
    describe(&agreement, &mut out)?;
    writeln!(out, "\nNotices (deconfliction)")?;
    writeln!(
        out,
        "  lead time {} min{}; answer within {} min; overlap buffer {} km and {} min; redacted when relayed: {}",
        policy.lead_time_min,
        policy
            .lead_time_by_kind
            .iter()
            .map(|(kind, min)| format!(", {kind} {min} min"))
            .collect::<String>(),
        policy.answer_within_min,
        policy.buffer_km,
        policy.buffer_min,
        if policy.redact.is_empty() { "nothing".to_string() } else { policy.redact.join(", ") }
    )?;
    writeln!(out, "\n{}: valid", args.agreement.display())?;
    Ok(ExitCode::SUCCESS)
}

fn names<T>(ids: impl IntoIterator<Item = T>, name: impl Fn(T) -> String) -> String {
    ids.into_iter().map(name).collect::<Vec<_>>().join(", ")
}

fn forces(agreement: &Agreement, filter: &ForceFilter) -> String {
    let parties = names(filter.parties.iter(), |&p| {
        agreement.parties[usize::from(p)].id.clone()
    });
    match &filter.categories {
        None => format!("{parties} (all categories)"),
        Some(cats) => format!(
            "{parties} ({})",
            names(cats.iter(), |&c| agreement.categories[usize::from(c)]
                .id
                .clone())
        ),
    }
}

/// Writes what the agreement holds, as a person reads it.
pub fn describe(agreement: &Agreement, out: &mut impl Write) -> io::Result<()> {
    writeln!(
        out,
        "{} (version {}): {}",
        agreement.id, agreement.version, agreement.title
    )?;
    writeln!(out, "\nParties")?;
    for p in &agreement.parties {
        writeln!(out, "  {:<10} {:<9} {}", p.id, p.role.as_str(), p.name)?;
    }
    writeln!(out, "\nForce categories")?;
    for c in &agreement.categories {
        writeln!(out, "  {:<10} {}", c.id, c.name)?;
    }
    writeln!(out, "\nZones")?;
    for f in &agreement.features {
        if let Shape::Zone(zone) = &f.shape {
            writeln!(
                out,
                "  {:<14} {:>9.1} km²  {:>6} vertices  {}",
                f.id,
                zone.area_km2(),
                zone.vertex_count(),
                f.name.as_deref().unwrap_or("")
            )?;
        }
    }
    writeln!(out, "\nLines")?;
    for f in &agreement.features {
        if let Shape::Line(line) = &f.shape {
            writeln!(
                out,
                "  {:<14} {:>9.1} km   {:>6} vertices  {}",
                f.id,
                line.length_km(),
                line.vertex_count(),
                f.name.as_deref().unwrap_or("")
            )?;
        }
    }
    writeln!(out, "\nRules")?;
    for rule in &agreement.rules {
        let feature = |i: u32| agreement.features[i as usize].id.clone();
        let what = match &rule.kind {
            RuleKind::Exclusion { zone, forces: f } => {
                format!("no {} in {}", forces(agreement, f), feature(*zone))
            }
            RuleKind::Cap {
                zone,
                party,
                category,
                max,
            } => format!(
                "at most {max} {} of {} in {}",
                agreement.categories[usize::from(*category)].id,
                agreement.parties[usize::from(*party)].id,
                feature(*zone)
            ),
            RuleKind::Standoff {
                target,
                forces: f,
                min_km,
            } => {
                format!(
                    "{} at least {min_km} km from {}",
                    forces(agreement, f),
                    feature(*target)
                )
            }
            RuleKind::Separation {
                parties,
                categories,
                min_km,
            } => format!(
                "{} and {} at least {min_km} km apart{}",
                agreement.parties[usize::from(parties[0])].id,
                agreement.parties[usize::from(parties[1])].id,
                categories.as_ref().map_or(String::new(), |c| format!(
                    " ({})",
                    names(c.iter(), |&c| agreement.categories[usize::from(c)]
                        .id
                        .clone())
                ))
            ),
        };
        let start = rule.active_after.map(|after| {
            let phase = &agreement.phases[usize::from(after.phase)].id;
            match after.delay_minutes {
                0 => format!("phase {phase} certified"),
                m => format!("phase {phase} certified + {m} min"),
            }
        });
        let from = rule.active_from.map(|from| from.to_string()).or(start);
        let window = match (from, rule.active_until) {
            (None, None) => "always".to_string(),
            (Some(from), None) => format!("from {from}"),
            (None, Some(until)) => format!("until {until}"),
            (Some(from), Some(until)) => format!("{from} to {until}"),
        };
        writeln!(
            out,
            "  {:<26} {:<10} {what}; {window}",
            rule.id,
            rule.kind.name()
        )?;
    }
    Ok(())
}
