//! `multipart/form-data` as the API and the pages take it: text fields and files, each read
//! with a limit as it streams in, so an oversized upload is refused without being held whole.

use std::future::Future;
use std::pin::Pin;

use actix_multipart::Multipart;
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use crate::desk::attachments::{Upload, MAX_FILES};
use crate::desk::Desk;
use crate::web::errors::ApiError;
use crate::web::extract::ApiJson;

/// Text fields together; a message's own limit is checked by its use case.
const MAX_TEXT: usize = 64 * 1024;

/// A form as sent: its text fields in order, and the files of the file field.
#[derive(Debug, Default)]
pub struct Fields {
    pub text: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

impl Fields {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.text.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// What is wrong with a form, naming the field.
#[derive(Debug)]
pub struct FormError {
    pub field: String,
    pub detail: String,
}

impl FormError {
    fn new(field: impl Into<String>, detail: impl Into<String>) -> Self {
        FormError { field: field.into(), detail: detail.into() }
    }
}

impl From<FormError> for ApiError {
    fn from(e: FormError) -> Self {
        ApiError::bad_field(StatusCode::UNPROCESSABLE_ENTITY, e.field, e.detail)
    }
}

/// Reads a multipart form. Parts named `file_field` with a file name are files (at most
/// `max_files`, each at most `max_file_bytes`); a part with an empty file name and no bytes is
/// a file input left empty and is skipped. Every other part is UTF-8 text.
pub async fn read(
    mut payload: Multipart,
    file_field: &str,
    max_files: usize,
    max_file_bytes: usize,
) -> Result<Fields, FormError> {
    let mut fields = Fields::default();
    let mut text_bytes = 0usize;
    // Together the files may fill three times one file's limit: a request is never a way to
    // make the server hold ten full-size files at once.
    let max_total = max_file_bytes.saturating_mul(3);
    let mut file_bytes = 0usize;
    while let Some(part) = payload.next().await {
        let mut part = part.map_err(|e| FormError::new("form", e.to_string()))?;
        let name = part.name().unwrap_or_default().to_string();
        let filename = part.content_disposition().and_then(|d| d.get_filename()).map(str::to_string);
        let declared = part.content_type().map(|m| m.essence_str().to_string()).unwrap_or_default();
        let is_file = name == file_field;
        let limit = if is_file { max_file_bytes } else { MAX_TEXT - text_bytes };
        let mut bytes = Vec::new();
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|e| FormError::new(&name, e.to_string()))?;
            if bytes.len() + chunk.len() > limit {
                return Err(if is_file {
                    let shown = filename.as_deref().unwrap_or("file");
                    FormError::new(&name, format!("{shown} is over the limit of {} KB", max_file_bytes / 1024))
                } else {
                    FormError::new(&name, format!("the form's text is over {} KB", MAX_TEXT / 1024))
                });
            }
            if is_file && file_bytes + bytes.len() + chunk.len() > max_total {
                return Err(FormError::new(&name, format!("the files together are over {} KB", max_total / 1024)));
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            file_bytes += bytes.len();
            let filename = filename.unwrap_or_default();
            if filename.is_empty() && bytes.is_empty() {
                continue;
            }
            if fields.files.len() == max_files {
                return Err(FormError::new(&name, format!("at most {max_files} files at once")));
            }
            fields.files.push(Upload { filename, declared_type: declared, bytes });
            continue;
        }
        text_bytes += bytes.len();
        let text = String::from_utf8(bytes).map_err(|_| FormError::new(&name, "not UTF-8 text"))?;
        fields.text.push((name, text));
    }
    Ok(fields)
}

/// A page's form either way a browser sends it: multipart (with files) or URL-encoded (a
/// form without a file input, or a script's request).
pub async fn read_page_form(
    req: &HttpRequest,
    mut payload: web::Payload,
    file_field: &str,
    max_files: usize,
    max_file_bytes: usize,
) -> Result<Fields, FormError> {
    if is_multipart(req) {
        let multipart = Multipart::new(req.headers(), payload.into_inner());
        return read(multipart, file_field, max_files, max_file_bytes).await;
    }
    let mut bytes = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| FormError::new("form", e.to_string()))?;
        if bytes.len() + chunk.len() > MAX_TEXT {
            return Err(FormError::new("form", format!("the form's text is over {} KB", MAX_TEXT / 1024)));
        }
        bytes.extend_from_slice(&chunk);
    }
    let text = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .map_err(|e| FormError::new("form", e.to_string()))?;
    Ok(Fields { text, files: Vec::new() })
}

fn is_multipart(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// A body that is either JSON (`T`) or a multipart form with files in `files`, each within the
/// desk's `attachment_max_bytes`.
pub enum JsonOrForm<T> {
    Json(T),
    Form(Fields),
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonOrForm<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        if !is_multipart(req) {
            let json = ApiJson::<T>::from_request(req, payload);
            return Box::pin(async move { json.await.map(|j| JsonOrForm::Json(j.0)) });
        }
        let max_file = req
            .app_data::<web::Data<Desk>>()
            .map_or(crate::desk::attachments::DEFAULT_MAX_BYTES, |d| d.attachment_max_bytes);
        let multipart = Multipart::new(req.headers(), payload.take());
        Box::pin(async move { Ok(JsonOrForm::Form(read(multipart, "files", MAX_FILES, max_file).await?)) })
    }
}

/// A form field that is a yes/no box or flag: `true`, `1`, `on` or `yes`.
pub fn flag(value: Option<&str>) -> bool {
    value.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1" | "on" | "yes"))
}

/// A form's `minutes` field: empty is none; otherwise a whole number (the use case checks the
/// range).
pub fn minutes(value: Option<&str>) -> Result<Option<i32>, FormError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v
            .parse()
            .map(Some)
            .map_err(|_| FormError::new("minutes", format!("{v:?} is not a whole number of minutes"))),
    }
}
