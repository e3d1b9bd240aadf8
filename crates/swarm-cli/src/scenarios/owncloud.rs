//! The `owncloud` scenario: the seed (Locust + ownCloud, episode 3), made robust.
//!
//! Every virtual user creates its own account `{prefix}-{run id}-{index}` through a fresh admin
//! session, warms it with one PROPFIND (a real server races on parallel first logins), then
//! downloads `ownCloud Manual.pdf` and uploads to its own file 3:1 with a 1 s wait; on stop it
//! deletes the account through another fresh admin session — never the user's cookie jar,
//! whose session cookies would make ownCloud answer 401 (the seed's pitfall).

use super::{Prepared, ScenarioDef};
use crate::cli::{AdminArgs, CleanupArgs, RunArgs};
use crate::error::Usage;
use anyhow::{Context, Result, bail};
use bytes::Bytes;
use ocs_dav::dav::{Dav, Depth};
use ocs_dav::ocs::{Ocs, OcsError};
use std::sync::Arc;
use swarm_core::metrics::Metrics;
use swarm_core::{
    Ctx, Extensions, Scenario, TaskError, TaskResult, Tasks, TestCtx, User, Wait, tasks,
};
use swarm_http::{Client, ClientOptions, CtxExt, Session};
use uuid::Uuid;

/// The registry entry.
pub(crate) const DEF: ScenarioDef = ScenarioDef {
    name: "owncloud",
    about: "ownCloud users: an account each, WebDAV downloads and uploads 3:1, accounts deleted on stop",
    options: &[
        "-H/--host URL                     the ownCloud server",
        "--admin-user NAME                 admin for provisioning (default admin)",
        "SWARM_ADMIN_PASSWORD or --admin-password-file FILE   the admin password",
        "--user-prefix P                   account names are P-<run id>-<index> (default swarm)",
        "--upload-size BYTES               upload this many bytes (default: the seed's \"my data\")",
        "--weight-download N / --weight-upload N / --weight-propfind N / --weight-folders N",
        "--wait DURATION                   wait between a user's tasks (default 1s)",
        "--admin-on-user-session           reproduce the seed's 401: admin DELETE through the user's jar",
    ],
    prepare,
};

/// The scenario's options, shared by every user.
struct Options {
    admin_user: String,
    admin_password: String,
    /// `{user_prefix}-{run id}-`; every account name starts with it.
    prefix_base: String,
    upload: Bytes,
    wait: Wait,
    weights: [u32; 4],
    /// The seed's mistake, on purpose: admin calls through the user's jar.
    admin_on_user_session: bool,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("Options")
            .field("admin_user", &self.admin_user)
            .finish_non_exhaustive()
    }
}

/// Reads the admin password: the file's first line, else `SWARM_ADMIN_PASSWORD`/the flag.
pub(crate) fn admin_password(admin: &AdminArgs) -> Result<String> {
    if let Some(path) = &admin.admin_password_file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Usage(format!(
                "cannot read --admin-password-file {}: {e}",
                path.display()
            ))
        })?;
        let line = text.lines().next().unwrap_or("").to_owned();
        if line.is_empty() {
            return Err(Usage(format!(
                "--admin-password-file {} is empty: put the password on its first line",
                path.display()
            ))
            .into());
        }
        return Ok(line);
    }
    match &admin.admin_password {
        Some(p) if !p.is_empty() => Ok(p.clone()),
        _ => Err(Usage("no ownCloud admin password: set SWARM_ADMIN_PASSWORD or pass --admin-password-file FILE".into()).into()),
    }
}

fn prepare(args: &RunArgs, metrics: &Metrics) -> Result<Prepared> {
    // The web UI's start form may give the host later; headless runs need it now.
    if args.headless && args.host.is_none() {
        return Err(Usage(
            "the owncloud scenario needs --host URL of an ownCloud server (`cargo xtask run owncloud` starts a local simulator)".into(),
        )
        .into());
    }
    let o = &args.owncloud;
    let weights = [
        o.weight_download,
        o.weight_upload,
        o.weight_propfind,
        o.weight_folders,
    ];
    if weights.iter().all(|w| *w == 0) {
        return Err(
            Usage("every task weight is 0: give at least one --weight-* above 0".into()).into(),
        );
    }
    let upload = match o.upload_size {
        Some(n) => Bytes::from(vec![
            b'x';
            usize::try_from(n)
                .context("--upload-size is too large")?
        ]),
        None => Bytes::from_static(b"my data"),
    };
    let options = Options {
        admin_user: args.admin.admin_user.clone(),
        admin_password: admin_password(&args.admin)?,
        prefix_base: o.user_prefix.clone(),
        upload,
        wait: Wait::constant(o.wait),
        weights,
        admin_on_user_session: o.admin_on_user_session,
    };
    let mut extensions = Extensions::new();
    extensions
        .insert(Client::new(metrics.recorder(), ClientOptions::default()))
        .insert(Arc::new(options));
    Ok(Prepared {
        scenario: Scenario::new()
            .user::<OwnCloudUser>()
            .on_test_start(check_server),
        extensions,
    })
}

fn options(get: Option<&Arc<Options>>) -> Result<Arc<Options>, TaskError> {
    get.cloned()
        .ok_or_else(|| TaskError::exception("the owncloud scenario was not prepared"))
}

/// A fresh, cookie-less admin session: admin calls never share a jar with a user's.
fn admin_session(client: &Client, host: &str, o: &Options) -> Result<Session, TaskError> {
    Ok(Session::new(client, host)?.with_basic_auth(&o.admin_user, &o.admin_password))
}

/// Before any user spawns: the host answers OCS and the admin credentials work, so a bad
/// `--host` or password is one clear error, not N failed users.
async fn check_server(ctx: TestCtx) -> TaskResult {
    let o = options(ctx.get::<Arc<Options>>())?;
    let host = ctx
        .host()
        .ok_or("no host: give --host or fill in the start form's host")?;
    let client = ctx
        .get::<Client>()
        .ok_or("no HTTP client")?
        .with_recorder(ctx.recorder().clone());
    let admin = admin_session(&client, host, &o)?;
    match Ocs::new(&admin)
        .list_users(Some(&o.prefix_base), Some(1), None)
        .await
    {
        Ok(_) => Ok(()),
        Err(OcsError::Unauthorised) => Err(TaskError::Exception(format!(
            "{host} refused the admin credentials of `{}` (OCS 997): check --admin-user and the password",
            o.admin_user
        ))),
        Err(OcsError::Http(e)) => Err(TaskError::Exception(format!("cannot reach {host}: {e}"))),
        Err(e) => Err(TaskError::Exception(format!("{host}: {e}"))),
    }
}

/// One virtual user: an ownCloud account of its own and a WebDAV session logged in as it.
struct OwnCloudUser {
    name: String,
    file: String,
    dav: Dav,
    options: Arc<Options>,
}

impl User for OwnCloudUser {
    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        let options = options(ctx.get::<Arc<Options>>())?;
        let name = format!(
            "{}-{}-{}",
            options.prefix_base,
            ctx.run_id(),
            ctx.user_index()
        );
        let password = Uuid::new_v4().simple().to_string();
        let client = ctx.http_client()?;
        let host = ctx.host().ok_or("no --host")?.to_owned();
        Ocs::new(&admin_session(&client, &host, &options)?)
            .create_user(&name, &password)
            .await?;
        let dav = Dav::new(ctx.session()?.with_basic_auth(&name, &password), &name);
        // The first authenticated request copies the skeleton; warm it alone.
        if let Err(e) = dav.propfind("", Depth::Zero).await {
            // on_stop runs only after a successful start: remove the account here.
            let _ = Ocs::new(&admin_session(&client, &host, &options)?)
                .remove_user(&name)
                .await;
            return Err(e.into());
        }
        Ok(Self {
            file: format!("locust-perfomance-test-file{}.txt", Uuid::new_v4()),
            name,
            dav,
            options,
        })
    }

    fn tasks(&self) -> Tasks<Self> {
        let [download, upload, propfind, folders] = self.options.weights;
        tasks![
            download => Self::download,
            upload => Self::upload,
            propfind => Self::propfind,
            folders => Self::folders,
        ]
    }

    fn wait_time(&self) -> Wait {
        self.options.wait
    }

    async fn on_stop(&mut self, ctx: &mut Ctx) -> TaskResult {
        let host = ctx.host().ok_or("no --host")?;
        let admin = if self.options.admin_on_user_session {
            // A clone shares the user's jar: its session cookies override the admin's basic
            // auth and ownCloud answers 401 (statuscode 997), exactly as in the seed.
            let o = &self.options;
            self.dav
                .session()
                .clone()
                .with_basic_auth(&o.admin_user, &o.admin_password)
        } else {
            admin_session(&ctx.http_client()?, host, &self.options)?
        };
        Ocs::new(&admin).remove_user(&self.name).await?;
        Ok(())
    }
}

impl OwnCloudUser {
    async fn download(&mut self, _: &mut Ctx) -> TaskResult {
        self.dav.get("ownCloud Manual.pdf").await?;
        Ok(())
    }

    async fn upload(&mut self, _: &mut Ctx) -> TaskResult {
        self.dav
            .named("[file]")
            .put(&self.file, self.options.upload.clone())
            .await?;
        Ok(())
    }

    async fn propfind(&mut self, _: &mut Ctx) -> TaskResult {
        self.dav.named("").propfind("", Depth::One).await?;
        Ok(())
    }

    async fn folders(&mut self, _: &mut Ctx) -> TaskResult {
        let dir = format!("swarm-dir-{}", Uuid::new_v4().simple());
        let moved = format!("{dir}-moved");
        self.dav.named("[dir]").mkcol(&dir).await?;
        self.dav.named("[dir]").mv(&dir, &moved, false).await?;
        self.dav.named("[dir]").delete(&moved).await?;
        Ok(())
    }
}

/// `swarm owncloud cleanup --prefix P`: deletes every account starting with P, listing each.
pub(crate) fn cleanup_main(args: CleanupArgs) -> Result<i32> {
    let host = crate::cli::parse_host(&args.host).map_err(Usage)?;
    if args.prefix.len() < 3 {
        return Err(Usage(format!(
            "--prefix `{}` is too short: give at least 3 characters (e.g. swarm-k3x9q2-)",
            args.prefix
        ))
        .into());
    }
    let password = admin_password(&args.admin)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let metrics = Metrics::default();
        let client = Client::new(metrics.recorder(), ClientOptions::default());
        let admin =
            Session::new(&client, &host)?.with_basic_auth(&args.admin.admin_user, &password);
        let ocs = Ocs::new(&admin);
        let mut doomed = Vec::new();
        let page = 500;
        let mut offset = 0;
        loop {
            let ids = ocs
                .list_users(Some(&args.prefix), Some(page), Some(offset))
                .await
                .map_err(|e| anyhow::anyhow!("cannot list accounts on {host}: {e}"))?;
            let n = ids.len() as u32;
            doomed.extend(ids.into_iter().filter(|id| id.starts_with(&args.prefix)));
            if n < page {
                break;
            }
            offset += page;
        }
        if doomed.is_empty() {
            println!("no accounts start with `{}`", args.prefix);
            return Ok(0);
        }
        let mut failed = 0;
        for id in &doomed {
            if args.dry_run {
                println!("would delete {id}");
                continue;
            }
            // A fresh session per delete: never a jar another call filled.
            let admin =
                Session::new(&client, &host)?.with_basic_auth(&args.admin.admin_user, &password);
            match Ocs::new(&admin).remove_user(id).await {
                Ok(()) => println!("deleted {id}"),
                Err(e) => {
                    failed += 1;
                    eprintln!("cannot delete {id}: {e}");
                }
            }
        }
        if failed > 0 {
            bail!("{failed} of {} accounts could not be deleted", doomed.len());
        }
        Ok(0)
    })
}
