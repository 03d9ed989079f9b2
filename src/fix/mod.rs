//! `alertsift fix`: the recommendations as changes to the team's own rule
//! files and Alertmanager configuration.

pub mod alertmanager;
pub mod amedit;
pub mod check;
pub mod edit;
pub mod plan;
pub mod replay;
pub mod routing;
pub mod rules;
pub mod vendor;
pub mod write;
pub use crate::core::yaml;
