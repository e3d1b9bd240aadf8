//! The `swarm` binary: the App with the built-in scenarios registered through the same public
//! API a test author uses, plus `swarm new` to start a test crate of one's own.
//!
//! Exit codes: 0 success, 1 when requests failed, a threshold failed or the run broke,
//! 2 bad usage.

mod new;

fn main() -> std::process::ExitCode {
    let app = swarm::App::new("swarm")
        .register(swarm_scenarios::get::scenario())
        .register(owncloud_scenario::scenario())
        .register(owncloud_scenario::share::scenario())
        .command(
            "owncloud",
            "ownCloud housekeeping",
            owncloud_scenario::housekeeping,
        )
        .command("new", "Start a load-test crate of your own", new::main);
    swarm_js::register(app).run()
}
