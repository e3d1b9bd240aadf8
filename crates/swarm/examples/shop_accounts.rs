//! A REST API test with per-user accounts from a CSV file (a feeder), a login token taken
//! from the response, request names that group URLs with ids, and read-only data shared by
//! every user:
//!
//!     cargo run --release --example shop_accounts -- -H http://127.0.0.1:8080 \
//!         --accounts accounts.csv -u 50 -r 10 -t 1m --headless
//!
//! `accounts.csv` starts with the header `username,password`; each user takes its own row
//! (`Pick::Unique`), so two users never share an account, and a run with more users than
//! rows says so in the exceptions table instead of reusing one.

use std::path::PathBuf;
use std::sync::Arc;
use swarm::prelude::*;
use swarm::rand::Rng;
use swarm::serde_json::json;

/// This test's own flags.
#[derive(clap::Args, Debug)]
struct AccountOptions {
    /// CSV file of accounts: a `username,password` header, then one account per line.
    #[arg(long, env = "SHOP_ACCOUNTS", value_name = "FILE")]
    accounts: PathBuf,
    /// How rows are handed out: unique (each row once), sequential (in order, wrapping) or
    /// random.
    #[arg(long, env = "SHOP_PICK", default_value = "unique", value_parser = ["unique", "sequential", "random"])]
    pick: String,
}

/// One row of the accounts file.
#[derive(Debug, swarm::serde::Deserialize)]
#[serde(crate = "swarm::serde")]
struct Account {
    username: String,
    password: Secret,
}

/// The catalogue's item ids, read by every user and never written.
#[derive(Debug)]
struct Catalogue(Vec<u32>);

/// Loads the accounts once, before any user starts; a missing or malformed file is one
/// error line and exit code 2.
fn load_accounts(setup: &mut Setup<'_>) -> Result<(), swarm::BoxError> {
    let options = setup.options::<AccountOptions>()?;
    let pick = match options.pick.as_str() {
        "sequential" => Pick::Sequential,
        "random" => Pick::Random,
        _ => Pick::Unique,
    };
    let accounts = Feeder::<Account>::from_csv(&options.accounts, pick)?;
    setup.share(accounts);
    Ok(())
}

struct Customer {
    http: Session,
    catalogue: Arc<Catalogue>,
}

impl User for Customer {
    const WAIT: Wait = Wait::between(Duration::from_millis(100), Duration::from_millis(500));

    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        let account = ctx.shared::<Feeder<Account>>()?.next()?;
        let http = ctx.session()?;
        let login = http
            .post("/login")
            .json(&json!({ "username": account.username, "password": account.password.expose() }))
            .fetch()
            .await?;
        // The token comes in a header too; either is fine.
        let token = login
            .header("x-session-token")
            .ok_or("the login response has no x-session-token header")?
            .to_owned();
        Ok(Self {
            http: http.with_bearer_auth(&token)?,
            catalogue: Arc::clone(ctx.shared::<Arc<Catalogue>>()?),
        })
    }

    fn tasks(&self) -> Tasks<Self> {
        tasks![2 => Self::view_item, 1 => Self::list]
    }

    async fn on_stop(&mut self, _: &mut Ctx) -> TaskResult {
        self.http.delete("/session").send().await?;
        Ok(())
    }
}

impl Customer {
    async fn list(&mut self) -> TaskResult {
        self.http.get("/items").send().await?;
        Ok(())
    }

    /// A task that needs the context takes it as a second argument.
    async fn view_item(&mut self, ctx: &mut Ctx) -> TaskResult {
        let ids = &self.catalogue.0;
        let id = ids[ctx.rng().random_range(0..ids.len())];
        // One row in the stats for every id: the name groups them.
        self.http
            .get(format!("/items/{id}"))
            .name("/items/[id]")
            .send()
            .await?;
        Ok(())
    }
}

fn main() -> std::process::ExitCode {
    let scenario = Scenario::new("shop-accounts")
        .about("customers from a CSV file browse the shop")
        .options::<AccountOptions>()
        .share(Arc::new(Catalogue(vec![1, 2, 3, 4, 5])))
        .setup(load_accounts)
        .user::<Customer>();
    App::new("shop-accounts").register(scenario).run()
}
