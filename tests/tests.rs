//! Integration tests: one binary, split by theme (ripgrep's layout).

mod util;

mod cli;
mod formats;
mod real_data;
mod store;
