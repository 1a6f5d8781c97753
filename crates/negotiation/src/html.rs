//! The gap report as one self-contained printable page: no script, no fonts, no network;
//! maps drawn as inline SVG. Every text from a draft is escaped.

use std::fmt::Write;

use truceline_geometry::LonLat;

use crate::diff::{GapReport, Keyed, Status};

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn status(s: Status) -> &'static str {
    match s {
        Status::Same => "same",
        Status::Changed => "changed",
        Status::OnlyA => "only in A",
        Status::OnlyB => "only in B",
    }
}

fn value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => "(absent)".to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An equirectangular view of a box, scaled by cos(latitude) so that shapes look right.
struct View {
    min_lon: f64,
    max_lat: f64,
    scale: f64,
    k: f64,
    width: f64,
    height: f64,
}

impl View {
    fn of<'a>(points: impl Iterator<Item = &'a LonLat>, width: f64) -> Option<View> {
        let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
        for p in points {
            x0 = x0.min(p[0]);
            x1 = x1.max(p[0]);
            y0 = y0.min(p[1]);
            y1 = y1.max(p[1]);
        }
        if x0 > x1 {
            return None;
        }
        let k = ((y0 + y1) * 0.5).to_radians().cos().max(0.05);
        let (w, h) = (((x1 - x0) * k).max(1e-9), (y1 - y0).max(1e-9));
        let pad = 0.04 * w.max(h);
        let scale = width / (w + 2.0 * pad);
        Some(View {
            min_lon: x0 - pad / k,
            max_lat: y1 + pad,
            scale,
            k,
            width,
            height: ((h + 2.0 * pad) * scale).min(width * 2.0),
        })
    }

    fn xy(&self, p: &LonLat) -> (f64, f64) {
        (
            (p[0] - self.min_lon) * self.k * self.scale,
            (self.max_lat - p[1]) * self.scale,
        )
    }

    fn path(&self, polygons: &[Vec<Vec<LonLat>>]) -> String {
        let mut d = String::new();
        for ring in polygons.iter().flatten() {
            for (i, p) in ring.iter().enumerate() {
                let (x, y) = self.xy(p);
                let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
            }
            d.push('Z');
        }
        d
    }

    fn polyline(&self, paths: &[Vec<LonLat>]) -> String {
        let mut d = String::new();
        for path in paths {
            for (i, p) in path.iter().enumerate() {
                let (x, y) = self.xy(p);
                let _ = write!(d, "{}{x:.1},{y:.1}", if i == 0 { "M" } else { "L" });
            }
        }
        d
    }
}

const DEFS: &str = r##"<defs>
<pattern id="ha" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#fde0dc"/><line x1="0" y1="0" x2="0" y2="8" stroke="#c0392b" stroke-width="3"/></pattern>
<pattern id="hb" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="8" height="8" fill="#dbe9f8"/><line x1="0" y1="0" x2="0" y2="8" stroke="#1f5fa8" stroke-width="3"/></pattern>
</defs>"##;

/// A map of some zones' pieces and some lines.
fn map(report: &GapReport, zones: &[usize], lines: &[usize], width: f64) -> String {
    let zone_points = zones.iter().flat_map(|&i| {
        let p = &report.zones[i].pieces;
        p.only_a
            .iter()
            .chain(&p.only_b)
            .chain(&p.both)
            .flat_map(|poly| poly.first())
            .flatten()
    });
    let line_points = lines
        .iter()
        .flat_map(|&i| report.lines[i].paths.iter().flatten().flatten());
    let Some(view) = View::of(zone_points.chain(line_points), width) else {
        return String::new();
    };
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {:.0} {:.0}" role="img" aria-label="map">{DEFS}"#,
        view.width, view.height
    );
    // Every zone's shared part first, then what only one draft covers, so that where
    // zones overlap a zone's shared part never hides another's gap.
    for pass in 0..3 {
        for &i in zones {
            let z = &report.zones[i];
            let title = format!("<title>{}</title>", esc(&z.id));
            let (polys, fill, class) = match pass {
                0 => (&z.pieces.both, "#c9ccd1", "both"),
                1 => (&z.pieces.only_a, "url(#ha)", "only-a"),
                _ => (&z.pieces.only_b, "url(#hb)", "only-b"),
            };
            if !polys.is_empty() {
                let _ = write!(
                    svg,
                    r##"<path class="{class}" d="{}" fill="{fill}" fill-rule="evenodd" stroke="#555" stroke-width="0.6">{title}</path>"##,
                    view.path(polys)
                );
            }
        }
    }
    for &i in lines {
        let l = &report.lines[i];
        for (k, (colour, dash)) in [("#c0392b", ""), ("#1f5fa8", r#" stroke-dasharray="6 4""#)]
            .iter()
            .enumerate()
        {
            if !l.paths[k].is_empty() {
                let _ = write!(
                    svg,
                    r#"<path d="{}" fill="none" stroke="{colour}" stroke-width="1.6"{dash}><title>{} ({})</title></path>"#,
                    view.polyline(&l.paths[k]),
                    esc(&l.id),
                    if k == 0 { "A" } else { "B" }
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

fn keyed_table(out: &mut String, title: &str, items: &[Keyed]) {
    let _ = write!(out, "<h2>{}</h2>", esc(title));
    if items.is_empty() {
        out.push_str("<p>No differences.</p>");
        return;
    }
    out.push_str("<table><thead><tr><th>id</th><th>status</th><th>key</th><th>A</th><th>B</th></tr></thead><tbody>");
    for item in items {
        let rows = item.changes.len().max(1) + usize::from(!item.geometry_changed.is_empty());
        let _ = write!(
            out,
            r#"<tr class="{cls}"><td rowspan="{rows}">{}</td><td rowspan="{rows}">{}</td>"#,
            esc(&item.id),
            status(item.status),
            cls = if item.status == Status::Same {
                "same"
            } else {
                "diff"
            },
        );
        if item.changes.is_empty() {
            out.push_str("<td colspan=\"3\">keys unchanged</td></tr>");
        }
        for (i, c) in item.changes.iter().enumerate() {
            if i > 0 {
                out.push_str("<tr class=\"diff\">");
            }
            let _ = write!(
                out,
                "<td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.key),
                esc(&value(&c.a)),
                esc(&value(&c.b))
            );
        }
        if !item.geometry_changed.is_empty() {
            let _ = write!(
                out,
                "<tr class=\"diff\"><td colspan=\"3\">names changed geometry: {}</td></tr>",
                esc(&item.geometry_changed.join(", "))
            );
        }
    }
    out.push_str("</tbody></table>");
}

/// The printable page.
pub fn render(report: &GapReport) -> String {
    let (a, b) = (&report.a, &report.b);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Gap report: {} v{} / v{}</title><style>
body{{font:14px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:60rem;padding:0 1rem;color:#111}}
h1{{font-size:1.4rem}}h2{{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccc}}
table{{border-collapse:collapse;width:100%;margin:.5rem 0}}th,td{{border:1px solid #ccc;padding:.25rem .45rem;text-align:left;vertical-align:top}}
td.n{{text-align:right;font-variant-numeric:tabular-nums}}tr.same{{color:#666}}code{{font-size:.85em;word-break:break-all}}
.legend span{{display:inline-block;margin-right:1.2rem}}.sw{{display:inline-block;width:1.1rem;height:.8rem;border:1px solid #555;vertical-align:middle;margin-right:.3rem}}
svg{{width:100%;height:auto;border:1px solid #ddd;background:#fafafa}}.zone{{break-inside:avoid}}.zone svg{{max-width:28rem}}
@media print{{body{{margin:0;max-width:none}}h2{{break-after:avoid}}}}
</style></head><body>"#,
        esc(&a.id),
        a.version,
        b.version
    );
    let _ = write!(
        out,
        "<h1>Gap report: {}</h1><table><tr><th></th><th>id</th><th>version</th><th>title</th><th>sha256</th></tr>\
         <tr><th>A</th><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr>\
         <tr><th>B</th><td>{}</td><td>{}</td><td>{}</td><td><code>{}</code></td></tr></table>",
        esc(&a.id),
        esc(&a.id),
        a.version,
        esc(&a.title),
        esc(&a.sha256),
        esc(&b.id),
        b.version,
        esc(&b.title),
        esc(&b.sha256)
    );
    let s = &report.summary;
    let _ = write!(
        out,
        "<h2>Summary</h2><p><strong>{:.2} km²</strong> disputed (covered by one draft only); {} zone(s), {} line(s) and {} rule(s) differ; {} party, {} category and {} phase difference(s).</p>",
        s.disputed_km2,
        s.zones_changed,
        s.lines_changed,
        s.rules_changed,
        report.parties.len(),
        report.categories.len(),
        report.phases.len()
    );
    let all_zones: Vec<usize> = (0..report.zones.len()).collect();
    let all_lines: Vec<usize> = (0..report.lines.len()).collect();
    out.push_str(
        "<p class=\"legend\"><span><i class=\"sw\" style=\"background:repeating-linear-gradient(45deg,#c0392b 0 3px,#fde0dc 3px 6px)\"></i>only in A</span>\
         <span><i class=\"sw\" style=\"background:repeating-linear-gradient(-45deg,#1f5fa8 0 3px,#dbe9f8 3px 6px)\"></i>only in B</span>\
         <span><i class=\"sw\" style=\"background:#c9ccd1\"></i>in both</span>\
         <span>lines: A solid red, B dashed blue</span></p>",
    );
    out.push_str(&map(report, &all_zones, &all_lines, 900.0));

    out.push_str("<h2>Zones</h2><table><thead><tr><th>id</th><th>status</th><th>A km²</th><th>B km²</th><th>only A km²</th><th>only B km²</th><th>both km²</th></tr></thead><tbody>");
    for z in &report.zones {
        let _ = write!(
            out,
            r#"<tr class="{}"><td>{}</td><td>{}</td><td class="n">{:.2}</td><td class="n">{:.2}</td><td class="n">{:.2}</td><td class="n">{:.2}</td><td class="n">{:.2}</td></tr>"#,
            if z.status == Status::Same {
                "same"
            } else {
                "diff"
            },
            esc(&z.id),
            status(z.status),
            z.area_a_km2,
            z.area_b_km2,
            z.only_a_km2,
            z.only_b_km2,
            z.both_km2
        );
    }
    out.push_str("</tbody></table>");
    for (i, z) in report.zones.iter().enumerate() {
        if z.status == Status::Changed {
            let _ = write!(
                out,
                "<div class=\"zone\"><h3>{}: {:.2} km² only in A, {:.2} km² only in B</h3>{}</div>",
                esc(&z.id),
                z.only_a_km2,
                z.only_b_km2,
                map(report, &[i], &[], 600.0)
            );
        }
    }

    out.push_str("<h2>Lines</h2><table><thead><tr><th>id</th><th>status</th><th>A km</th><th>B km</th><th>greatest offset</th></tr></thead><tbody>");
    for l in &report.lines {
        let _ = write!(
            out,
            r#"<tr class="{}"><td>{}</td><td>{}</td><td class="n">{:.2}</td><td class="n">{:.2}</td><td class="n">{}</td></tr>"#,
            if l.status == Status::Same {
                "same"
            } else {
                "diff"
            },
            esc(&l.id),
            status(l.status),
            l.length_a_km,
            l.length_b_km,
            l.max_offset_m
                .map_or("-".to_string(), |m| format!("{m:.0} m"))
        );
    }
    out.push_str("</tbody></table>");
    keyed_table(&mut out, "Rules", &report.rules);
    keyed_table(&mut out, "Parties", &report.parties);
    keyed_table(&mut out, "Categories", &report.categories);
    keyed_table(&mut out, "Phases", &report.phases);
    out.push_str("<p><small>Areas on the sphere of radius 6,371,008.8 m; offsets are Hausdorff distances, great-circle. Made by truceline draft diff.</small></p></body></html>\n");
    out
}
