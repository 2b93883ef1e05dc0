//! weir on tokio.
