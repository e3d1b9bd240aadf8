//! The mistake the metrics must survive: a test that puts an id into every request name
//! (`/status.php?item=17`, `/status.php?item=18`, ...) instead of grouping them
//! (`.name("/status.php?item=[id]")`). It makes `--items` distinct names, then stops:
//!
//!     cargo run --example ungrouped_names -- -H http://127.0.0.1:8080 -u 10 --headless
//!
//! The reports keep every name; `/metrics`, remote-write and OTLP fold those beyond their
//! cap into `name="other"`, so a Prometheus is not flooded.

use std::sync::atomic::{AtomicU64, Ordering};
use swarm::prelude::*;

/// This test's own flags.
#[derive(clap::Args, Debug)]
struct Options {
    /// How many distinct names to make before the test stops.
    #[arg(long, default_value_t = 10_000)]
    items: u64,
}

/// The next id, shared by every user so each name is new.
static NEXT: AtomicU64 = AtomicU64::new(0);

/// A user that requests a new id each time, named after the id.
struct Prober {
    http: Session,
    items: u64,
}

impl User for Prober {
    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        let items = ctx.options::<Options>()?.items;
        Ok(Self {
            http: ctx.session()?,
            items,
        })
    }

    fn tasks(&self) -> Tasks<Self> {
        tasks![1 => Self::probe]
    }
}

impl Prober {
    async fn probe(&mut self) -> TaskResult {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        if id >= self.items {
            return Err(TaskError::StopTest);
        }
        // The path itself is the name: exactly what grouping is for.
        self.http
            .get(format!("/status.php?item={id}"))
            .send()
            .await?;
        Ok(())
    }
}

fn main() -> std::process::ExitCode {
    let scenario = Scenario::new("ungrouped-names")
        .about("one request name per id (what grouping prevents)")
        .options::<Options>()
        .user::<Prober>();
    App::new("ungrouped-names").register(scenario).run()
}
