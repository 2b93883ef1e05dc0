//! weir conformance tools.
