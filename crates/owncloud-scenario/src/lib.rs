//! The `owncloud` scenario: the seed (Locust + ownCloud, episode 3), made robust, written on
//! swarm's public API like any author's scenario; plus `owncloud cleanup`, and in [`share`]
//! the `owncloud-share` scenario (ownCloud's "share with a new user" test).
//!
//! Every virtual user creates its own account `{prefix}-{run id}-{index}` through a fresh admin
//! session, warms it with one PROPFIND (a real server races on parallel first logins), then
//! downloads `ownCloud Manual.pdf` and uploads to its own file 3:1 with a 1 s wait; on stop it
//! deletes the account through another fresh admin session — never the user's cookie jar,
//! whose session cookies would make ownCloud answer 401 (the seed's pitfall).

pub mod share;

use bytes::Bytes;
use futures_util::StreamExt;
use ocs_dav::dav::{Dav, Depth};
use ocs_dav::ocs::{Ocs, OcsError};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use swarm::http::Client;
use swarm::prelude::*;
use swarm::{BoxError, UsageError, parse_duration};
use uuid::Uuid;

/// The scenario, ready to register with an [`App`](swarm::App).
pub fn scenario() -> Scenario {
    Scenario::new("owncloud")
        .about("ownCloud users: an account each, WebDAV downloads and uploads 3:1, accounts deleted on stop")
        .options::<OwncloudOptions>()
        .setup(settle)
        .on_test_start(check_server)
        .leftovers(|s: &Arc<Settings>| s.ledger.leftovers())
        .user::<OwnCloudUser>()
}

/// Accounts created and removed, and where: so an ending that skipped some `on_stop`s (a
/// second Ctrl-C, a stop timeout, a dead server) can say what is left and how to remove it.
#[derive(Debug, Default)]
struct Ledger {
    created: AtomicUsize,
    removed: AtomicUsize,
    /// The host and the account-name prefix of the latest test start.
    target: std::sync::Mutex<Option<(String, String)>>,
}

impl Ledger {
    /// The warning for accounts that may be left, with the command that removes them.
    fn leftovers(&self) -> Option<String> {
        let left = self
            .created
            .load(Ordering::Acquire)
            .saturating_sub(self.removed.load(Ordering::Acquire));
        let target = swarm::core::lock(&self.target).clone();
        let (host, prefix) = target.filter(|_| left > 0)?;
        let host = swarm::http::redact_url(&host);
        Some(format!(
            "{left} ownCloud account(s) may be left on {host}: remove them with `swarm owncloud cleanup --host {host} --prefix {prefix}` (admin password from SWARM_ADMIN_PASSWORD or --admin-password-file)"
        ))
    }
}

/// ownCloud admin credentials: the password never only from a flag.
#[derive(Debug, Clone, clap::Args)]
pub struct AdminArgs {
    /// ownCloud admin user for provisioning.
    #[arg(long, env = "SWARM_ADMIN_USER", default_value = "admin")]
    pub admin_user: String,
    /// File holding the admin password (first line); or set SWARM_ADMIN_PASSWORD.
    #[arg(long, env = "SWARM_ADMIN_PASSWORD_FILE")]
    pub admin_password_file: Option<PathBuf>,
    /// The admin password itself (visible in `ps`: prefer SWARM_ADMIN_PASSWORD or the file).
    #[arg(long, env = "SWARM_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<Secret>,
}

impl AdminArgs {
    /// The admin password: the file's first line, else `SWARM_ADMIN_PASSWORD`/the flag.
    pub fn password(&self) -> Result<Secret, UsageError> {
        if let Some(path) = &self.admin_password_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                UsageError(format!(
                    "cannot read --admin-password-file {}: {e}",
                    path.display()
                ))
            })?;
            let line = text.lines().next().unwrap_or("");
            if line.is_empty() {
                return Err(UsageError(format!(
                    "--admin-password-file {} is empty: put the password on its first line",
                    path.display()
                )));
            }
            return Ok(Secret::new(line));
        }
        match &self.admin_password {
            Some(p) if !p.is_empty() => Ok(p.clone()),
            _ => Err(UsageError("no ownCloud admin password: set SWARM_ADMIN_PASSWORD or pass --admin-password-file FILE".into())),
        }
    }
}

/// Who provisions accounts, settled from [`AdminArgs`]; shared by the ownCloud scenarios.
#[derive(Debug)]
pub(crate) struct Admin {
    /// The admin's user name.
    pub(crate) user: String,
    /// The admin's password.
    pub(crate) password: Secret,
}

impl Admin {
    /// Reads the name and the password (see [`AdminArgs::password`]).
    pub(crate) fn from_args(args: &AdminArgs) -> Result<Self, UsageError> {
        Ok(Self {
            user: args.admin_user.clone(),
            password: args.password()?,
        })
    }

    /// A fresh, cookie-less admin session: admin calls never share a jar with a user's.
    pub(crate) fn session(&self, client: &Client, host: &str) -> Result<Session, TaskError> {
        Ok(Session::new(client, host)?.with_basic_auth(&self.user, self.password.expose()))
    }

    /// Before any user spawns: the host answers OCS and these credentials work, so a bad
    /// `--host` or password is one clear error, not N failed users.
    pub(crate) async fn check(&self, ctx: &TestCtx, prefix: &str) -> TaskResult {
        let host = ctx
            .host()
            .ok_or("no host: give --host or fill in the start form's host")?;
        match Ocs::new(&self.session(&ctx.http_client()?, host)?)
            .list_users(Some(prefix), Some(1), None)
            .await
        {
            Ok(_) => Ok(()),
            Err(OcsError::Unauthorised) => Err(TaskError::Exception(format!(
                "{host} refused the admin credentials of `{}` (OCS 997): check --admin-user and the password",
                self.user
            ))),
            Err(OcsError::Http(e)) => {
                Err(TaskError::Exception(format!("cannot reach {host}: {e}")))
            }
            Err(e) => Err(TaskError::Exception(format!("{host}: {e}"))),
        }
    }
}

/// The scenario's own flags (shown under it in `swarm run owncloud --help`).
#[derive(Debug, Clone, clap::Args)]
pub struct OwncloudOptions {
    #[command(flatten)]
    admin: AdminArgs,
    /// Account-name prefix; the run id is appended so runs never collide.
    #[arg(long, env = "SWARM_USER_PREFIX", default_value = "swarm")]
    user_prefix: String,
    /// Bytes per upload (default: the seed's "my data").
    #[arg(long, env = "SWARM_UPLOAD_SIZE")]
    upload_size: Option<u64>,
    /// Weight of the download task.
    #[arg(long, env = "SWARM_WEIGHT_DOWNLOAD", default_value_t = 3)]
    weight_download: u32,
    /// Weight of the upload task.
    #[arg(long, env = "SWARM_WEIGHT_UPLOAD", default_value_t = 1)]
    weight_upload: u32,
    /// Weight of a PROPFIND of the home folder.
    #[arg(long, env = "SWARM_WEIGHT_PROPFIND", default_value_t = 0)]
    weight_propfind: u32,
    /// Weight of a MKCOL + MOVE + DELETE round.
    #[arg(long, env = "SWARM_WEIGHT_FOLDERS", default_value_t = 0)]
    weight_folders: u32,
    /// Wait between a user's tasks.
    #[arg(long, env = "SWARM_WAIT", default_value = "1s", value_parser = parse_duration)]
    wait: Duration,
    /// Reproduce the seed's bug: send the admin DELETE through the user's own cookie jar
    /// (ownCloud then answers 401 and the accounts stay; `swarm owncloud cleanup` removes them).
    #[arg(long, env = "SWARM_ADMIN_ON_USER_SESSION")]
    admin_on_user_session: bool,
}

/// What every user reads, settled once from the options.
#[derive(Debug)]
struct Settings {
    admin: Admin,
    /// `{user_prefix}-{run id}-` without the run id; every account name starts with it.
    prefix_base: String,
    upload: Upload,
    wait: Wait,
    weights: [u32; 4],
    /// The seed's mistake, on purpose: admin calls through the user's jar.
    admin_on_user_session: bool,
    ledger: Ledger,
}

/// Uploads up to this size are one shared buffer; bigger ones stream from a file.
const IN_MEMORY_UPLOAD: u64 = 1024 * 1024;

/// What every upload sends: the seed's bytes, or (for `--upload-size` above 1 MiB) a sparse
/// file of zeros streamed from disk, so a size of gigabytes costs no memory.
#[derive(Debug)]
enum Upload {
    Bytes(Bytes),
    File(SparseFile),
}

/// A temporary file of `n` zero bytes that takes no disk space; removed when dropped.
#[derive(Debug)]
struct SparseFile(PathBuf);

impl SparseFile {
    fn create(n: u64) -> Result<Self, BoxError> {
        let path = std::env::temp_dir().join(format!(
            "swarm-upload-{}-{}.bin",
            std::process::id(),
            Uuid::new_v4().simple()
        ));
        let file = std::fs::File::create(&path)
            .map_err(|e| format!("cannot create the upload file {}: {e}", path.display()))?;
        file.set_len(n)
            .map_err(|e| format!("--upload-size {n}: cannot make a file that big: {e}"))?;
        Ok(Self(path))
    }
}

impl Drop for SparseFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Checks the options, reads the password, and shares the settings with every user.
fn settle(setup: &mut Setup<'_>) -> Result<(), BoxError> {
    if setup.headless() && setup.host().is_none() {
        return Err("the owncloud scenario needs --host URL of an ownCloud server (`cargo xtask run owncloud` starts a local simulator)".into());
    }
    let o = setup.options::<OwncloudOptions>()?;
    let weights = [
        o.weight_download,
        o.weight_upload,
        o.weight_propfind,
        o.weight_folders,
    ];
    if weights.iter().all(|w| *w == 0) {
        return Err("every task weight is 0: give at least one --weight-* above 0".into());
    }
    let upload = match o.upload_size {
        None => Upload::Bytes(Bytes::from_static(b"my data")),
        Some(n) if n <= IN_MEMORY_UPLOAD => Upload::Bytes(Bytes::from(vec![b'x'; n as usize])),
        Some(n) => Upload::File(SparseFile::create(n)?),
    };
    let settings = Settings {
        admin: Admin::from_args(&o.admin)?,
        prefix_base: o.user_prefix.clone(),
        upload,
        wait: Wait::constant(o.wait),
        weights,
        admin_on_user_session: o.admin_on_user_session,
        ledger: Ledger::default(),
    };
    setup.share(Arc::new(settings));
    Ok(())
}

/// Before any user spawns: remember where accounts will go, then check host and admin.
async fn check_server(ctx: TestCtx) -> TaskResult {
    let s = ctx.shared::<Arc<Settings>>()?;
    let host = ctx
        .host()
        .ok_or("no host: give --host or fill in the start form's host")?;
    *swarm::core::lock(&s.ledger.target) = Some((
        host.to_owned(),
        format!("{}-{}-", s.prefix_base, ctx.run_id()),
    ));
    s.admin.check(&ctx, &s.prefix_base).await
}

/// One virtual user: an ownCloud account of its own and a WebDAV session logged in as it.
struct OwnCloudUser {
    name: String,
    file: String,
    dav: Dav,
    settings: Arc<Settings>,
}

impl User for OwnCloudUser {
    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        let settings = Arc::clone(ctx.shared::<Arc<Settings>>()?);
        let name = format!(
            "{}-{}-{}",
            settings.prefix_base,
            ctx.run_id(),
            ctx.user_index()
        );
        let password = Uuid::new_v4().simple().to_string();
        let client = ctx.http_client()?;
        let host = ctx.host().ok_or("no --host")?.to_owned();
        Ocs::new(&settings.admin.session(&client, &host)?)
            .create_user(&name, &password)
            .await?;
        settings.ledger.created.fetch_add(1, Ordering::AcqRel);
        let dav = Dav::new(ctx.session()?.with_basic_auth(&name, &password), &name);
        // The first authenticated request copies the skeleton; warm it alone.
        if let Err(e) = dav.propfind("", Depth::Zero).await {
            // on_stop runs only after a successful start: remove the account here.
            if Ocs::new(&settings.admin.session(&client, &host)?)
                .remove_user(&name)
                .await
                .is_ok()
            {
                settings.ledger.removed.fetch_add(1, Ordering::AcqRel);
            }
            return Err(e.into());
        }
        Ok(Self {
            file: format!("locust-perfomance-test-file{}.txt", Uuid::new_v4()),
            name,
            dav,
            settings,
        })
    }

    fn tasks(&self) -> Tasks<Self> {
        let [download, upload, propfind, folders] = self.settings.weights;
        tasks![
            download => Self::download,
            upload => Self::upload,
            propfind => Self::propfind,
            folders => Self::folders,
        ]
    }

    fn wait_time(&self) -> Wait {
        self.settings.wait
    }

    async fn on_stop(&mut self, ctx: &mut Ctx) -> TaskResult {
        let host = ctx.host().ok_or("no --host")?;
        let s = &self.settings;
        let admin = if s.admin_on_user_session {
            // A clone shares the user's jar: its session cookies override the admin's basic
            // auth and ownCloud answers 401 (statuscode 997), exactly as in the seed.
            self.dav
                .session()
                .clone()
                .with_basic_auth(&s.admin.user, s.admin.password.expose())
        } else {
            s.admin.session(&ctx.http_client()?, host)?
        };
        Ocs::new(&admin).remove_user(&self.name).await?;
        s.ledger.removed.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }
}

impl OwnCloudUser {
    async fn download(&mut self) -> TaskResult {
        self.dav.get("ownCloud Manual.pdf").await?;
        Ok(())
    }

    async fn upload(&mut self) -> TaskResult {
        let dav = self.dav.named("[file]");
        match &self.settings.upload {
            Upload::Bytes(bytes) => dav.put(&self.file, bytes.clone()).await?,
            Upload::File(file) => dav.put_file(&self.file, &file.0).await?,
        };
        Ok(())
    }

    async fn propfind(&mut self) -> TaskResult {
        self.dav.named("").propfind("", Depth::One).await?;
        Ok(())
    }

    async fn folders(&mut self) -> TaskResult {
        let dir = format!("swarm-dir-{}", Uuid::new_v4().simple());
        let moved = format!("{dir}-moved");
        self.dav.named("[dir]").mkcol(&dir).await?;
        self.dav.named("[dir]").mv(&dir, &moved, false).await?;
        self.dav.named("[dir]").delete(&moved).await?;
        Ok(())
    }
}

/// `swarm owncloud ...`: housekeeping commands.
#[derive(Debug, clap::Args)]
pub struct Housekeeping {
    #[command(subcommand)]
    command: HousekeepingCommand,
}

/// The housekeeping commands.
#[derive(Debug, clap::Subcommand)]
enum HousekeepingCommand {
    /// Delete leftover accounts whose names start with a prefix (e.g. after `kill -9`).
    Cleanup(CleanupArgs),
}

/// `swarm owncloud cleanup` options.
#[derive(Debug, clap::Args)]
struct CleanupArgs {
    /// Delete every account whose id starts with this prefix (e.g. `swarm-k3x9q2-`).
    #[arg(long, env = "SWARM_PREFIX")]
    prefix: String,
    /// The ownCloud server, e.g. http://127.0.0.1:8080.
    #[arg(short = 'H', long, env = "SWARM_HOST")]
    host: String,
    /// Only list what would be deleted.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    admin: AdminArgs,
}

/// Runs `swarm owncloud ...`; register it with `App::command("owncloud", .., housekeeping)`.
pub fn housekeeping(cmd: Housekeeping) -> Result<u8, BoxError> {
    match cmd.command {
        HousekeepingCommand::Cleanup(args) => cleanup(args),
    }
}

/// Deletes `swarm owncloud cleanup` sends at once.
const CLEANUP_CONCURRENCY: usize = 8;

/// `swarm owncloud cleanup --prefix P`: deletes every account starting with P, listing each.
fn cleanup(args: CleanupArgs) -> Result<u8, BoxError> {
    let host = swarm::parse_host(&args.host).map_err(UsageError)?;
    if args.prefix.len() < 3 {
        return Err(UsageError(format!(
            "--prefix `{}` is too short: give at least 3 characters (e.g. swarm-k3x9q2-)",
            args.prefix
        ))
        .into());
    }
    let provisioner = Admin::from_args(&args.admin)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = Client::unbound(swarm::http::ClientOptions::default());
        // A fresh session per call: never a jar another call filled.
        let admin = || -> Result<Session, BoxError> {
            provisioner
                .session(&client, &host)
                .map_err(|e| e.to_string().into())
        };
        let mut doomed = Vec::new();
        let page = 500;
        let mut offset = 0;
        loop {
            let ids = Ocs::new(&admin()?)
                .list_users(Some(&args.prefix), Some(page), Some(offset))
                .await
                .map_err(|e| format!("cannot list accounts on {host}: {e}"))?;
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
        if args.dry_run {
            for id in &doomed {
                println!("would delete {id}");
            }
            return Ok(0);
        }
        // A few deletes at once: a real server takes tens of ms per password check.
        let results: Vec<(String, Result<(), String>)> = futures_util::stream::iter(&doomed)
            .map(|id| async {
                let result = match admin() {
                    Ok(session) => Ocs::new(&session)
                        .remove_user(id)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                };
                (id.clone(), result)
            })
            .buffer_unordered(CLEANUP_CONCURRENCY)
            .collect()
            .await;
        let mut failed = 0;
        for (id, result) in results {
            match result {
                Ok(()) => println!("deleted {id}"),
                Err(e) => {
                    failed += 1;
                    eprintln!("cannot delete {id}: {e}");
                }
            }
        }
        if failed > 0 {
            return Err(
                format!("{failed} of {} accounts could not be deleted", doomed.len()).into(),
            );
        }
        Ok(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `--upload-size` of gigabytes allocated the whole body (and aborted).
    #[test]
    fn a_huge_upload_is_a_sparse_file_not_memory() {
        let terabyte = 1u64 << 40;
        let file = SparseFile::create(terabyte).expect("sparse file");
        assert_eq!(
            std::fs::metadata(&file.0).map(|m| m.len()).ok(),
            Some(terabyte)
        );
        let path = file.0.clone();
        drop(file);
        assert!(!path.exists(), "removed on drop");
    }
}
