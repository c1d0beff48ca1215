//! The wire format between the server and the page: resources and server function replies.
//!
//! Both are postcard (a compact binary serde format) rather than JSON: a reply is smaller,
//! and, more to the point, the wasm bundle carries no JSON parser and no per-type decoder
//! that matches field names — postcard reads a struct's fields in order. Server functions
//! declare it with `#[server(output = Wire)]`; resources with [`resource`]. The REST API
//! under `/api/v1` stays JSON for integrators. Types that cross must therefore not rely on
//! a self-describing format (no `#[serde(flatten)]`, internally tagged enums or
//! `skip_serializing_if`); `shared::AppError` has a binary shape of its own for this.

use leptos::prelude::Resource;
use leptos::server::codee::{Decoder, Encoder};
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// The server function codec: arguments as a form (readable in logs and tests), the reply
/// in postcard.
pub type Wire = server_fn::codec::Postcard;

/// Postcard, for a resource's value sent with the server-rendered page (Leptos writes the
/// bytes into the page as base64).
pub struct Binary;

impl<T: Serialize> Encoder<T> for Binary {
    type Error = postcard::Error;
    type Encoded = Vec<u8>;

    fn encode(val: &T) -> Result<Vec<u8>, postcard::Error> {
        postcard::to_allocvec(val)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Binary {
    type Error = postcard::Error;
    type Encoded = [u8];

    fn decode(val: &[u8]) -> Result<T, postcard::Error> {
        postcard::from_bytes(val)
    }
}

/// A resource of the page: `fetcher` runs on the server for the first paint (its value is
/// sent with the page) and in the browser whenever `source` changes.
pub type PageResource<T> = Resource<T, Binary>;

/// Creates a [`PageResource`] (not blocking the page's stream).
#[track_caller]
pub fn resource<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> PageResource<T>
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
    use shared::AppError;

    #[test]
    fn decodes_what_it_encodes() {
        let value: Result<Vec<(String, f64)>, AppError> = Ok(vec![("F01".into(), 12.5)]);
        let encoded = <Binary as Encoder<_>>::encode(&value).unwrap();
        // Ok, one element, "F01", then 12.5 as eight little-endian bytes.
        let mut expected = vec![0, 1, 3, b'F', b'0', b'1'];
        expected.extend_from_slice(&12.5f64.to_le_bytes());
        assert_eq!(encoded, expected);
        let decoded: Result<Vec<(String, f64)>, AppError> =
            <Binary as Decoder<_>>::decode(&encoded).unwrap();
        assert_eq!(decoded, value);

        let error: Result<u8, AppError> = Err(AppError::not_found("node"));
        let encoded = <Binary as Encoder<_>>::encode(&error).unwrap();
        assert_eq!(<Binary as Decoder<_>>::decode(&encoded).ok(), Some(error));
        assert!(<Binary as Decoder<Vec<u8>>>::decode(&[5, 1]).is_err());
    }
}
