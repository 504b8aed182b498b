//! Pure rules of the desk: no I/O, no database, no HTTP. Most unit tests live here.

pub mod audit;
pub mod canned;
pub mod disruption;
pub mod incident;
pub mod kb;
pub mod mail;
pub mod markdown;
pub mod number;
pub mod phone;
pub mod report;
pub mod role;
pub mod search;
pub mod sla;
pub mod ticket;
pub mod webhook;

/// Declares a closed set of values that travel as snake_case strings in the API and the database.
/// Unknown strings are refused by serde with the list of accepted values, which the API turns
/// into a problem document naming the field.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;
