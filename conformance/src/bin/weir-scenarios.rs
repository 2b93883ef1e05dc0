//! `weir-scenarios`: placeholder until the scenario runner lands.
fn main() {}
