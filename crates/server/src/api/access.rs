//! `/v1/apps/{appId}/access-rules`: allow and deny entries of HWIDs and IPs.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use super::fields::Fields;
use keyward_errors::{CreateAccessRuleError, DeleteAccessRuleError, ListAccessRulesError};

use super::limits::{RULE_VALUE_MAX, RULE_WORD_MAX};
use super::{ApiFailure, ApiJson, ApiResult, Caller, Segments};
use crate::ipnet::IpNet;
use crate::state::AppState;
use crate::store::{AccessRule, ListKind, RuleKind};

/// `POST /v1/apps/{appId}/access-rules`: `{list: "allow"|"deny", kind: "hwid"|"ip",
/// value}` → 201 with the rule. An IP rule's value is an address or a network
/// (`203.0.113.0/24`), stored canonically (see [`IpNet`]).
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
    ApiJson(body): ApiJson,
) -> ApiResult<(StatusCode, Json<AccessRule>), CreateAccessRuleError> {
    let mut f = Fields::new(&body, &["list", "kind", "value"]);
    let list_text = f.required_string("list", RULE_WORD_MAX);
    let kind_text = f.required_string("kind", RULE_WORD_MAX);
    let value = f.required_string("value", RULE_VALUE_MAX);
    let list = ListKind::parse(&list_text);
    if list.is_none() && !list_text.is_empty() {
        f.error("list", "must be \"allow\" or \"deny\"");
    }
    let kind = RuleKind::parse(&kind_text);
    if kind.is_none() && !kind_text.is_empty() {
        f.error("kind", "must be \"hwid\" or \"ip\"");
    }
    let value = match kind {
        Some(RuleKind::Ip) if !value.is_empty() => match IpNet::parse(&value) {
            Ok(net) => net.to_string(),
            Err(err) => {
                f.error("value", &err.to_string());
                value
            }
        },
        _ => value,
    };
    f.finish()?;
    let (Some(list), Some(kind)) = (list, kind) else {
        return Err(ApiFailure::bad_fields(
            [("list", list.is_none()), ("kind", kind.is_none())]
                .into_iter()
                .filter(|(_, missing)| *missing)
                .map(|(field, _)| keyward_errors::FieldError::new(field, "is required"))
                .collect(),
        ));
    };
    let now = state.clock().now_unix();
    let rule = state
        .store()
        .add_access_rule(caller.account_id, path.at(0), list, kind, value, now)
        .await
        .map_err(|err| ApiFailure::from_owned(err, "app"))?;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// `GET /v1/apps/{appId}/access-rules` → `{"rules": [...]}`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<Json<Value>, ListAccessRulesError> {
    let rules = state
        .store()
        .list_access_rules(caller.account_id, path.at(0))
        .await
        .map_err(|err| ApiFailure::from_owned(err, "app"))?;
    Ok(Json(json!({ "rules": rules })))
}

/// `DELETE /v1/apps/{appId}/access-rules/{ruleId}` → 204.
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    path: Segments,
) -> ApiResult<StatusCode, DeleteAccessRuleError> {
    let Ok(rule_id) = path.at(1).parse::<i64>() else {
        return Err(ApiFailure::not_found("access rule not found"));
    };
    state
        .store()
        .delete_access_rule(caller.account_id, path.at(0), rule_id)
        .await
        .map_err(|err| ApiFailure::from_owned(err, "access rule"))?;
    Ok(StatusCode::NO_CONTENT)
}
