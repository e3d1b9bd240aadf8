//! The GET+PUT task set of `cargo xtask bench`: two equally weighted tasks with no wait, GET
//! `/tiny.txt` and PUT a 16-byte JSON body to `/put`, the same set as the Locust file the bench
//! compares it with (`xtask/bench/locust_getput.py`).
//!
//!     cargo run --release -p swarm-scenarios --example bench_getput -- -H http://127.0.0.1:8080 -u 32 -t 5s --headless

use swarm::prelude::*;

/// The PUT body, byte for byte Locust's.
const BODY: &[u8] = br#"{"id":1,"v":"x"}"#;

/// One user on its own keep-alive connection.
struct GetPut {
    http: Session,
}

impl User for GetPut {
    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        Ok(Self {
            http: ctx.session()?,
        })
    }

    fn tasks(&self) -> Tasks<Self> {
        tasks![1 => Self::get, 1 => Self::put]
    }
}

impl GetPut {
    async fn get(&mut self) -> TaskResult {
        self.http.get("/tiny.txt").send().await?;
        Ok(())
    }

    async fn put(&mut self) -> TaskResult {
        self.http
            .put("/put")
            .header("content-type", "application/json")
            .body(BODY)
            .send()
            .await?;
        Ok(())
    }
}

fn main() -> std::process::ExitCode {
    let scenario = Scenario::new("getput")
        .about("GET /tiny.txt and PUT a small JSON body to /put, no wait")
        .user::<GetPut>();
    App::new("bench_getput").register(scenario).run()
}
