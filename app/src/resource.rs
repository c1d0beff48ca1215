//! Resources for server function results.
//!
//! A resource's value crosses from the server-rendered page to the browser as JSON, and so
//! does every server function's reply. Leptos's default codec decodes the first with
//! `serde_json::from_str` and the server function client decodes the second with
//! `serde_json::from_slice`: two copies of every type's decoder in the wasm bundle. [`Json`]
//! decodes with `from_slice` too, so each type's decoder is compiled once.

use leptos::prelude::Resource;
use leptos::server::codee::{Decoder, Encoder};
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// JSON, decoded by the same code as server function replies.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(val: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(val)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(val: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(val.as_bytes())
    }
}

/// A resource of the page: `fetcher` runs on the server for the first paint (its value is
/// sent with the page) and in the browser whenever `source` changes.
pub type JsonResource<T> = Resource<T, Json>;

/// Creates a [`JsonResource`] (not blocking the page's stream).
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> JsonResource<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: Send + Sync + Clone + PartialEq + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_it_encodes() {
        let value: Result<Vec<(String, f64)>, String> = Ok(vec![("F01".into(), 12.5)]);
        let encoded = <Json as Encoder<_>>::encode(&value).unwrap();
        assert_eq!(encoded, r#"{"Ok":[["F01",12.5]]}"#);
        let decoded: Result<Vec<(String, f64)>, String> =
            <Json as Decoder<_>>::decode(&encoded).unwrap();
        assert_eq!(decoded, value);
        assert!(<Json as Decoder<Vec<u8>>>::decode("[1,").is_err());
    }
}
