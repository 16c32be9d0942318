//! Reading a JSON request object field by field, collecting every bad field so that one
//! `bad_request` names them all.

use keyward_errors::api_codes::BadRequest;
use keyward_errors::{ApiError, FieldError};
use serde_json::{Map, Value};

use super::error::ApiFailure;

/// Largest serialized size of a variables object.
pub const MAX_VARIABLES_BYTES: usize = 16 * 1024;

/// A request object being read.
pub struct Fields<'a> {
    object: Option<&'a Map<String, Value>>,
    errors: Vec<FieldError>,
}

fn text_problem(text: &str, max: usize) -> Option<String> {
    if text.trim().is_empty() {
        Some("must not be empty".to_owned())
    } else if text.chars().count() > max {
        Some(format!("must be at most {max} characters"))
    } else if text.chars().any(char::is_control) {
        Some("must not contain control characters".to_owned())
    } else {
        None
    }
}

impl<'a> Fields<'a> {
    /// Starts reading `value`, which must be an object whose fields are all in `known`.
    pub fn new(value: &'a Value, known: &[&str]) -> Self {
        let mut fields = Self {
            object: None,
            errors: Vec::new(),
        };
        match value {
            Value::Object(object) => {
                fields.object = Some(object);
                for name in object.keys() {
                    if !known.contains(&name.as_str()) {
                        let shown: String = name.chars().take(64).collect();
                        fields.error(&shown, "is not a known field");
                    }
                }
            }
            _ => fields.error("body", "must be a JSON object"),
        }
        fields
    }

    /// Records a bad field.
    pub fn error(&mut self, name: &str, message: &str) {
        self.errors.push(FieldError::new(name, message));
    }

    /// The field, `None` when absent or `null`.
    fn get(&self, name: &str) -> Option<&'a Value> {
        self.object
            .and_then(|object| object.get(name))
            .filter(|value| !value.is_null())
    }

    /// Whether the field is present (even as `null`).
    pub fn present(&self, name: &str) -> bool {
        self.object.is_some_and(|object| object.contains_key(name))
    }

    /// A required non-empty string of at most `max` characters.
    pub fn required_string(&mut self, name: &str, max: usize) -> String {
        if self.get(name).is_none() {
            self.error(name, "is required");
            return String::new();
        }
        self.string(name, max).unwrap_or_default()
    }

    /// An optional non-empty string of at most `max` characters.
    pub fn string(&mut self, name: &str, max: usize) -> Option<String> {
        match self.get(name)? {
            Value::String(text) => match text_problem(text, max) {
                Some(problem) => {
                    self.error(name, &problem);
                    None
                }
                None => Some(text.clone()),
            },
            _ => {
                self.error(name, "must be a string");
                None
            }
        }
    }

    /// An optional boolean.
    pub fn bool(&mut self, name: &str) -> Option<bool> {
        match self.get(name)? {
            Value::Bool(flag) => Some(*flag),
            _ => {
                self.error(name, "must be true or false");
                None
            }
        }
    }

    /// An optional integer in `min..=max`.
    pub fn int(&mut self, name: &str, min: i64, max: i64) -> Option<i64> {
        match self.get(name)?.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            _ => {
                self.error(name, &format!("must be an integer from {min} to {max}"));
                None
            }
        }
    }

    /// An optional JSON object of at most [`MAX_VARIABLES_BYTES`] serialized.
    pub fn object(&mut self, name: &str) -> Option<Map<String, Value>> {
        match self.get(name)? {
            Value::Object(map) => {
                let size = serde_json::to_vec(map)
                    .map(|v| v.len())
                    .unwrap_or(usize::MAX);
                if size > MAX_VARIABLES_BYTES {
                    self.error(
                        name,
                        &format!("must be at most {MAX_VARIABLES_BYTES} bytes of JSON"),
                    );
                    None
                } else {
                    Some(map.clone())
                }
            }
            _ => {
                self.error(name, "must be a JSON object");
                None
            }
        }
    }

    /// An optional list of at most `max_items` strings of at most `max` characters.
    pub fn string_list(&mut self, name: &str, max_items: usize, max: usize) -> Option<Vec<String>> {
        let message = format!(
            "must be a list of at most {max_items} non-empty strings of at most {max} characters"
        );
        match self.get(name)? {
            Value::Array(items) if items.len() <= max_items => {
                let texts: Option<Vec<String>> = items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .filter(|text| text_problem(text, max).is_none())
                            .map(str::to_owned)
                    })
                    .collect();
                if texts.is_none() {
                    self.error(name, &message);
                }
                texts
            }
            _ => {
                self.error(name, &message);
                None
            }
        }
    }

    /// `Ok` when no field was bad, else the `bad_request` naming each bad field.
    pub fn finish<E>(self) -> Result<(), ApiFailure<E>>
    where
        E: From<BadRequest> + Into<ApiError>,
    {
        if self.errors.is_empty() {
            return Ok(());
        }
        Err(ApiFailure::bad_fields(self.errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_bad_field_is_named() {
        let body = json!({"name": 5, "hwidSlots": 17, "variables": [], "extra": true});
        let mut f = Fields::new(&body, &["name", "hwidSlots", "variables"]);
        f.required_string("name", 10);
        f.int("hwidSlots", 1, 16);
        f.object("variables");
        let failure = f.finish::<ApiError>().expect_err("expected bad_request");
        let err = failure.error_response().expect("a spec answer");
        let text = format!("{err:?}");
        for field in ["name", "hwidSlots", "variables", "extra"] {
            assert!(text.contains(field), "{field} missing in {text}");
        }
    }
}
