//! meja: the service desk for SPBE.

pub mod clock;
pub mod db;
pub mod domain;
pub mod desk;
