//! The seed's locustfile (Locust + ownCloud, episode 3) in swarm, line for line; also the
//! template `swarm new NAME --template owncloud` writes. Every user creates its own account,
//! downloads the manual and uploads its own file 3:1, and deletes the account on stop
//! through a fresh admin session (no cookies in the way, so no 401):
//!
//!     SWARM_ADMIN_PASSWORD=admin cargo run --release -- -H http://127.0.0.1:8080 -u 10 -t 30s --headless

use ocs_dav::dav::{Dav, Depth};
use ocs_dav::ocs::Ocs;
use swarm::prelude::*;

/// The admin who creates and deletes the accounts.
#[derive(clap::Args, Debug)]
struct Admin {
    /// ownCloud admin user.
    #[arg(long, env = "SWARM_ADMIN_USER", default_value = "admin")]
    admin_user: String,
    /// Its password (a secret: never printed).
    #[arg(long, env = "SWARM_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Secret,
}

/// A fresh admin session: its own, empty cookie jar.
fn admin(ctx: &Ctx) -> Result<Session, TaskError> {
    let a = ctx.options::<Admin>()?;
    Ok(ctx
        .session()?
        .with_basic_auth(&a.admin_user, a.admin_password.expose()))
}

struct OwnCloudUser {
    name: String,
    file: String,
    dav: Dav,
}

impl User for OwnCloudUser {
    const WAIT: Wait = Wait::constant(Duration::from_secs(1));

    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        let name = format!("locust-{}-{}", ctx.run_id(), ctx.user_index());
        Ocs::new(&admin(ctx)?).create_user(&name, &name).await?;
        let dav = Dav::new(ctx.session()?.with_basic_auth(&name, &name), &name);
        dav.propfind("", Depth::Zero).await?; // the first login copies the skeleton
        let file = format!("locust-perfomance-test-file{}.txt", uuid::Uuid::new_v4());
        Ok(Self { name, file, dav })
    }

    fn tasks(&self) -> Tasks<Self> {
        tasks![3 => Self::download_file, 1 => Self::upload_file]
    }

    async fn on_stop(&mut self, ctx: &mut Ctx) -> TaskResult {
        Ocs::new(&admin(ctx)?).remove_user(&self.name).await?;
        Ok(())
    }
}

impl OwnCloudUser {
    async fn download_file(&mut self) -> TaskResult {
        self.dav.get("ownCloud Manual.pdf").await?;
        Ok(())
    }

    async fn upload_file(&mut self) -> TaskResult {
        self.dav.named("[file]").put(&self.file, "my data").await?;
        Ok(())
    }
}

fn main() -> std::process::ExitCode {
    let scenario = Scenario::new("my-load-test")
        .options::<Admin>()
        .user::<OwnCloudUser>();
    App::new("my-load-test").register(scenario).run()
}
