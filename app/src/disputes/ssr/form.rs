//! Multipart forms of disputes: read with limits, files judged by content.
use super::*;

// ------------------------------------------------------------ forms

/// An uploaded file, before its content is checked.
#[derive(Clone, Debug)]
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// A decoded multipart form: text fields, then files.
#[derive(Clone, Debug, Default)]
pub struct Form {
    pub fields: Vec<(String, String)>,
    pub files: Vec<Upload>,
}

impl Form {
    pub fn get(&self, name: &str) -> &str {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str()).unwrap_or("")
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect()
    }
}

pub(super) fn bad_form(e: impl std::fmt::Display) -> AppError {
    AppError::Request(format!("malformed form: {e}"))
}

/// Reads a multipart body with limits: at most `MAX_PER_MESSAGE` files of
/// `MAX_BYTES` each (reading stops as soon as one is too large), small text
/// fields. An empty file input (no file chosen) is skipped.
pub async fn read_form(data: MultipartData) -> AppResult<Form> {
    let mut multipart = data.into_inner().ok_or_else(|| bad_form("not multipart"))?;
    let mut form = Form::default();
    let mut count = 0;
    while let Some(mut field) = multipart.next_field().await.map_err(bad_form)? {
        count += 1;
        if count > MAX_FIELDS {
            return Err(bad_form("too many fields"));
        }
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let limit = if file_name.is_some() { attachments::MAX_BYTES } else { MAX_TEXT_FIELD };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(bad_form)? {
            if bytes.len() + chunk.len() > limit {
                return Err(match file_name {
                    Some(_) => AppError::field("attachments", Msg::AttachmentTooLarge),
                    None => bad_form("text field too long"),
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        match file_name {
            Some(file_name) => {
                if file_name.is_empty() && bytes.is_empty() {
                    continue;
                }
                if form.files.len() == attachments::MAX_PER_MESSAGE {
                    return Err(AppError::field("attachments", Msg::TooManyAttachments));
                }
                form.files.push(Upload { file_name, bytes });
            }
            None => form.fields.push((name, String::from_utf8(bytes).map_err(bad_form)?)),
        }
    }
    Ok(form)
}

/// A checked attachment, ready to store.
pub(super) struct Checked {
    pub(super) file_name: String,
    pub(super) content_type: &'static str,
    pub(super) sha256: String,
    pub(super) bytes: Vec<u8>,
}

/// Every file is judged by its content; one refusal refuses the message.
pub(super) fn check_files(files: &[Upload]) -> AppResult<Vec<Checked>> {
    use sha2::Digest;
    if files.len() > attachments::MAX_PER_MESSAGE {
        return Err(AppError::field("attachments", Msg::TooManyAttachments));
    }
    files
        .iter()
        .map(|f| {
            let kind = attachments::check(&f.bytes).map_err(|r| {
                AppError::field(
                    "attachments",
                    match r {
                        Refusal::Empty => Msg::AttachmentEmpty,
                        Refusal::TooLarge => Msg::AttachmentTooLarge,
                        Refusal::UnsupportedType => Msg::AttachmentType,
                    },
                )
            })?;
            Ok(Checked {
                file_name: attachments::display_name(&f.file_name, kind),
                content_type: kind.content_type(),
                sha256: hex::encode(sha2::Sha256::digest(&f.bytes)),
                bytes: f.bytes.clone(),
            })
        })
        .collect()
}
