//! The compliance summary (JSON and printable HTML) and search over what the caller may see.

#[allow(unused_imports)]
use super::prelude::*;

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/summary", get(summary_json))
        .route("/v1/summary.html", get(summary_html))
        .route("/v1/search", get(search))
}

#[derive(Deserialize)]
struct SummaryQuery {
    #[serde(default)]
    party: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    until: Option<String>,
}

async fn summary_value(s: &AppState, who: &Principal, q: SummaryQuery) -> ApiResult<Value> {
    let time = |field: &str, v: &Option<String>| {
        v.as_deref()
            .map(crate::clock::parse_ms)
            .transpose()
            .map_err(|e| ApiError::unprocessable(format!("{field}: {e}")))
    };
    let from = time("from", &q.from)?;
    let until = time("until", &q.until)?;
    if let (Some(f), Some(u)) = (from, until) {
        if u <= f {
            return Err(ApiError::unprocessable("until must be after from"));
        }
    }
    if let Some(p) = &q.party {
        if !s
            .agreement
            .parties
            .iter()
            .any(|x| x.id == *p && x.role == Role::Party)
        {
            return Err(ApiError::not_found(format!("no party {p:?}")));
        }
    }
    let snapshot = s.live.snapshot().await?;
    let checkpoint = s
        .ledger
        .checkpoint()
        .map_err(|e| ApiError::unavailable(format!("the ledger: {e}")))?
        .map(|c| (c.checkpoint.size, super::ledger::b64(&c.checkpoint.root)));
    let incidents = s.mech.all_incidents();
    // The version in force as of the last report: the rules the engine's totals are of.
    let version = s.live.versions().in_force();
    Ok(crate::summary::compute(&crate::summary::Input {
        agreement: version.classifier.agreement(),
        incidents: &incidents,
        snapshot: &snapshot,
        disclosure: &s.disclosure,
        who,
        party: q.party.as_deref(),
        from_ms: from,
        until_ms: until,
        made_at_ms: s.clock.now_ms(),
        checkpoint,
    }))
}

async fn summary_json(
    State(s): S,
    who: Principal,
    Query(q): Query<SummaryQuery>,
) -> ApiResult<Json<Value>> {
    summary_value(&s, &who, q).await.map(Json)
}

async fn summary_html(
    State(s): S,
    who: Principal,
    Query(q): Query<SummaryQuery>,
) -> ApiResult<Html<String>> {
    summary_value(&s, &who, q)
        .await
        .map(|v| Html(crate::summary::html(&v)))
}

#[derive(Deserialize)]
struct SearchQuery {
    q: String,
}

async fn search(
    State(s): S,
    who: Principal,
    Query(q): Query<SearchQuery>,
) -> ApiResult<Json<Value>> {
    if q.q.is_empty() || q.q.len() > 200 {
        return Err(ApiError::unprocessable("q: 1 to 200 characters"));
    }
    Ok(Json(json!({"items": s.mech.search(&who, &q.q)})))
}
