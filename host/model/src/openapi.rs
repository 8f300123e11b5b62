//! The identifier newtypes as OpenAPI schemas (with the `openapi`
//! feature): each is a string with the pattern and length its `parse`
//! enforces, so a document generated from the model describes exactly what
//! the host accepts. The other model types derive their schemas where
//! they are defined. Not for the document itself (the api crate).

use std::borrow::Cow;

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::dictionary::FieldValue;
use crate::ids::{BundleId, DepartmentId, Digest, FieldKey, MaterialCode, StepId, StepRef};
use crate::text::Text;

/// kebab-case `[a-z0-9-]`, no leading, trailing or doubled hyphen.
const KEBAB: &str = "[a-z0-9]+(-[a-z0-9]+)*";

fn string(pattern: String, max: usize, description: &str, example: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(pattern))
        .min_length(Some(1))
        .max_length(Some(max))
        .description(Some(description))
        .examples([example])
        .into()
}

macro_rules! id_schema {
    ($name:ident, $pattern:expr, $max:expr, $description:literal, $example:literal) => {
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                string($pattern, $max, $description, $example)
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

id_schema!(
    DepartmentId,
    format!("^{KEBAB}$"),
    64,
    "A department id (kebab-case)",
    "public-security"
);
id_schema!(
    StepId,
    format!("^{KEBAB}$"),
    64,
    "A step id within a department (kebab-case)",
    "household-registration"
);
id_schema!(
    MaterialCode,
    format!("^{KEBAB}$"),
    64,
    "A material code of the data dictionary (kebab-case)",
    "marriage-certificate"
);
id_schema!(
    BundleId,
    format!("^{KEBAB}$"),
    64,
    "A bundle id (kebab-case)",
    "newborn"
);
id_schema!(
    FieldKey,
    "^[a-z0-9_]+(\\.[a-z0-9_]+)+$".to_owned(),
    128,
    "A data dictionary key: dot-separated segments of [a-z0-9_]",
    "mother.id_number"
);
id_schema!(
    StepRef,
    format!("^{KEBAB}/{KEBAB}$"),
    129,
    "A step of a bundle, department/step",
    "health/birth-certificate"
);
id_schema!(
    Digest,
    "^sha256:[0-9a-f]{64}$".to_owned(),
    71,
    "A SHA-256 content digest",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
);

/// A field's value as JSON: its type is the dictionary's, so any JSON
/// value here.
impl PartialSchema for FieldValue {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
            .description(Some("a field value, typed by the data dictionary"))
            .into()
    }
}

impl ToSchema for FieldValue {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("FieldValue")
    }
}

/// A text is answered in the language the request asked for
/// (`Accept-Language`): one string.
impl PartialSchema for Text {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "A text for people, in the language of the request's Accept-Language (zh, the default, or en)",
            ))
            .into()
    }
}

impl ToSchema for Text {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Text")
    }
}
