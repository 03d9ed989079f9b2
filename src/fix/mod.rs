//! `alertsift fix`: the recommendations as changes to the team's own rule
//! files and Alertmanager configuration.

pub mod alertmanager;
pub mod edit;
pub mod rules;
pub mod yaml;
