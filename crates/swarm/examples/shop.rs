//! A load test of a REST API with login, written with swarm; also the template `swarm new`
//! writes. Run it against your API (here the shop API of swarm's own tests):
//!
//!     cargo run --release -- -H http://127.0.0.1:8080 -u 10 -t 30s --headless
//!
//! Every flag of `swarm run` works (`--help` lists them, with this test's own at the end),
//! as do `SWARM_*` variables, `swarm.toml`, the web UI (leave out `--headless`), reports
//! (`--json run.json --html run.html --csv run`) and thresholds (`--threshold 'p95 < 200ms'`).

use swarm::prelude::*;
use swarm::serde_json::json;

/// This test's own flags: shown by `--help`, read from flag > env > swarm.toml > default.
#[derive(clap::Args, Debug)]
struct ShopOptions {
    /// The password every virtual user logs in with (a secret: never printed).
    #[arg(
        long,
        env = "SHOP_PASSWORD",
        hide_env_values = true,
        default_value = "secret"
    )]
    password: Secret,
    /// The item each purchase puts in the cart.
    #[arg(long, env = "SHOP_ITEM", default_value_t = 1)]
    item: u32,
}

/// One virtual user: its own HTTP session (cookies, connections) carrying its login token.
struct Shopper {
    http: Session,
    item: u32,
}

impl User for Shopper {
    /// Between two tasks a user thinks for 0.5 to 2 seconds.
    const WAIT: Wait = Wait::between(Duration::from_millis(500), Duration::from_secs(2));

    /// Log in once; the token from the response goes on every later request.
    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        let options = ctx.options::<ShopOptions>()?;
        let (password, item) = (options.password.expose().to_owned(), options.item);
        let http = ctx.session()?;
        let login = http
            .post("/login")
            .json(&json!({ "username": format!("user{}", ctx.user_index()), "password": password }))
            .fetch()
            .await?;
        let token = login
            .json_field("/token")
            .ok_or("the login response has no token")?;
        Ok(Self {
            http: http.with_bearer_auth(&token)?,
            item,
        })
    }

    /// Three browses for every purchase.
    fn tasks(&self) -> Tasks<Self> {
        tasks![3 => Self::browse, 1 => Self::buy]
    }

    /// Log out, so the server is left as it was found.
    async fn on_stop(&mut self, _: &mut Ctx) -> TaskResult {
        self.http.delete("/session").send().await?;
        Ok(())
    }
}

impl Shopper {
    async fn browse(&mut self) -> TaskResult {
        self.http.get("/items").send().await?;
        Ok(())
    }

    async fn buy(&mut self) -> TaskResult {
        self.http
            .post("/cart")
            .json(&json!({ "id": self.item }))
            .check(|r| match r.status().as_u16() {
                201 => Ok(()),
                other => Err(format!("expected 201 Created, got {other}")),
            })
            .send()
            .await?;
        Ok(())
    }
}

fn main() -> std::process::ExitCode {
    let scenario = Scenario::new("my-load-test")
        .about("log in, browse and buy, log out")
        .options::<ShopOptions>()
        .user::<Shopper>();
    App::new("my-load-test").register(scenario).run()
}
