//! The web UI and its Locust-compatible HTTP API, driven by real clients and headless Chromium.
