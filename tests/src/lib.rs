//! Test-only crate: see tests/tests/ for the cross-crate suites.
