//! Test and bench harness: desks with real file stores and confirmations, a hub on 127.0.0.1
//! in this process, and a throwaway PostgreSQL cluster.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    unreachable_pub
)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use zk_domain::{
    ArtefactKind, CardSource, ConfirmationDraft, Decision, Score, SerialBlock, Sitting, Step,
    StepOutcome, Timestamp,
};
use zk_hub::{HubDb, HubState};
use zk_store::{RosterFormat, Store};
use zk_sync::{
    DeskKey, HttpUpstream, PushOptions, PushReport, RetryPolicy, StoreOutbox, SyncError, SyncEvent,
};

pub const DISTRICT: &str = "4201";

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A valid resident number: region, birth date (YYYYMMDD) and 3-digit sequence.
pub fn id_number(region: &str, birth: &str, seq: usize) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!("{region}{birth}{seq:03}");
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    let check = char::from(b"10X98765432"[(sum % 11) as usize]);
    format!("{body}{check}")
}

/// Roster CSV with line `index + 1` (registration `index`) changed by `change`.
pub fn edit_row(csv: &[u8], index: usize, change: impl Fn(&str) -> String) -> Vec<u8> {
    let text = String::from_utf8(csv.to_vec()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[index + 1] = change(&lines[index + 1]);
    let mut joined = lines.join("\n");
    joined.push('\n');
    joined.into_bytes()
}

/// `rows` registrations as roster CSV, and `(registration_id, id_number)` for each.
pub fn roster(rows: usize) -> (Vec<u8>, Vec<(String, String)>) {
    let start = chrono::NaiveDate::from_ymd_opt(1980, 1, 1).unwrap();
    let mut text = String::from(
        "报名号,证件类型,证件号码,姓名,性别,民族,出生日期,手机号,考区代码,专业代码,专业名称,层次,状态\n",
    );
    let mut ids = Vec::with_capacity(rows);
    for index in 0..rows {
        let birth = start + chrono::Days::new((index / 999) as u64);
        let birth = birth.format("%Y%m%d").to_string();
        let seq = index % 999 + 1;
        let number = id_number("420102", &birth, seq);
        let sex = if seq % 2 == 1 { "男" } else { "女" };
        let registration_id = format!("2624201{index:06}");
        text.push_str(&format!(
            "{registration_id},居民身份证,{number},考生{index},{sex},汉,{birth},139{index:08},{DISTRICT},C050201,英语,本科,\n"
        ));
        ids.push((registration_id, number));
    }
    (text.into_bytes(), ids)
}

pub fn sitting() -> Sitting {
    Sitting::parse("262").unwrap()
}

/// Artefact sizes of one confirmation.
#[derive(Clone, Copy)]
pub struct Sizes {
    pub photo: usize,
    pub id_photo: usize,
    pub signature: usize,
}

pub const SMALL: Sizes = Sizes {
    photo: 3000,
    id_photo: 1500,
    signature: 800,
};

/// A desk: a file store with a roster and a serial block, and its signing key.
pub struct Desk {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub key_path: PathBuf,
    pub ids: Vec<(String, String)>,
    pub name: String,
}

impl Desk {
    pub fn new(name: &str, roster_rows: usize, block: (&str, u32, u32)) -> Desk {
        let (bytes, ids) = roster(roster_rows);
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        store
            .import_roster_bytes(&bytes, RosterFormat::Csv, Timestamp::from_millis(1))
            .unwrap();
        let block = SerialBlock::new(block.0, DISTRICT, sitting(), block.1, block.2).unwrap();
        store
            .add_serial_block(&block, "test", Timestamp::from_millis(2))
            .unwrap();
        let key_path = dir.path().join("desk-sign.key");
        Desk {
            dir,
            store,
            key_path,
            ids,
            name: name.to_owned(),
        }
    }

    /// A desk with an empty roster and no serial block (what the hub will provide).
    pub fn bare(name: &str) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let key_path = dir.path().join("desk-sign.key");
        Desk {
            dir,
            store,
            key_path,
            ids: Vec::new(),
            name: name.to_owned(),
        }
    }

    /// Pulls the roster of its site from the hub.
    pub async fn pull(
        &mut self,
        url: &str,
        options: &zk_sync::PullOptions,
    ) -> Result<zk_sync::PullReport, SyncError> {
        let upstream = self.upstream(url, Arc::new(now_ms));
        zk_sync::pull_roster(&mut self.store, &upstream, options, &mut |_| {}).await
    }

    /// Asks the hub for a serial block and records it.
    pub async fn serials(
        &mut self,
        url: &str,
        district: &str,
        sitting: &str,
        size: u32,
    ) -> Result<zk_sync::SerialsReport, SyncError> {
        let upstream = self.upstream(url, Arc::new(now_ms));
        self.serials_with(&upstream, district, sitting, size).await
    }

    pub async fn serials_with(
        &mut self,
        upstream: &HttpUpstream,
        district: &str,
        sitting: &str,
        size: u32,
    ) -> Result<zk_sync::SerialsReport, SyncError> {
        let request = zk_sync::wire::SerialBlockRequest {
            district: district.to_owned(),
            sitting: sitting.to_owned(),
            size,
        };
        zk_sync::request_serial_block(&mut self.store, upstream, &request, "hub", &mut |_| {}).await
    }

    pub fn key(&self) -> DeskKey {
        DeskKey::load_or_create(&self.key_path).unwrap()
    }

    /// Confirms the candidate at roster index `index`, with a photo, an ID photo and a signature.
    pub fn confirm(&mut self, index: usize, sizes: Sizes) -> String {
        let (registration_id, id_number) = self.ids[index].clone();
        let now = Timestamp::from_millis(now_ms());
        let session = self.store.begin_session(now).unwrap();
        let outcomes: Vec<StepOutcome> = [Step::IdCard, Step::Liveness, Step::Photo]
            .into_iter()
            .map(|step| StepOutcome {
                step,
                attempt: 1,
                decision: Decision::Pass,
                scores: vec![Score::new("face_distance_median", 0.31, 0.4)],
                model_version: "test-v1".into(),
                operator: None,
                note: None,
                at: now,
            })
            .collect();
        for outcome in &outcomes {
            self.store.record_outcome(session, outcome).unwrap();
        }
        let mut artefacts = Vec::new();
        for (kind, size) in [
            (ArtefactKind::RegistrationPhoto, sizes.photo),
            (ArtefactKind::IdPhoto, sizes.id_photo),
            (ArtefactKind::SignatureImage, sizes.signature),
        ] {
            let bytes = pseudo_random_bytes(&format!("{}-{index}-{kind:?}", self.name), size);
            let id = self.store.put_artefact(session, kind, &bytes, now).unwrap();
            artefacts.push((kind, id));
        }
        let draft = ConfirmationDraft {
            registration_id,
            id_number,
            district_code: DISTRICT.into(),
            card_source: CardSource::Chip,
            consent_version: Some("v1".into()),
            outcomes,
            artefacts,
            declaration: vec![("fever".into(), false)],
        };
        self.store
            .confirm(session, &draft, sitting(), 10, now)
            .unwrap()
            .confirmation_id
    }

    pub fn confirm_many(&mut self, range: std::ops::Range<usize>, sizes: Sizes) {
        for index in range {
            self.confirm(index, sizes);
        }
    }

    pub fn upstream(&self, url: &str, clock: Arc<dyn Fn() -> i64 + Send + Sync>) -> HttpUpstream {
        HttpUpstream::new(url, self.key(), clock, fast_retry()).unwrap()
    }

    pub async fn push_with(
        &mut self,
        upstream: &HttpUpstream,
        events: &mut Vec<SyncEvent>,
    ) -> Result<PushReport, SyncError> {
        let mut sink = |event: SyncEvent| events.push(event);
        zk_sync::push(
            &mut StoreOutbox {
                store: &mut self.store,
            },
            upstream,
            &PushOptions::default(),
            &mut sink,
        )
        .await
    }

    pub async fn push(&mut self, url: &str) -> Result<PushReport, SyncError> {
        let upstream = self.upstream(url, Arc::new(now_ms));
        self.push_with(&upstream, &mut Vec::new()).await
    }

    pub fn unacked(&self) -> u64 {
        self.store.sync_status().unwrap().unacked
    }
}

pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(30),
    }
}

/// Incompressible bytes, deterministic per label.
pub fn pseudo_random_bytes(label: &str, size: usize) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut out = Vec::with_capacity(size + 32);
    let mut block = Sha256::digest(label.as_bytes());
    while out.len() < size {
        out.extend_from_slice(&block);
        block = Sha256::digest(block);
    }
    out.truncate(size);
    out
}

/// A hub serving on 127.0.0.1 in this process.
pub struct RunningHub {
    pub url: String,
    pub addr: SocketAddr,
    pub db: HubDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningHub {
    pub async fn start(db_url: &str) -> RunningHub {
        RunningHub::start_on(db_url, "127.0.0.1:0").await
    }

    pub async fn start_on(db_url: &str, listen: &str) -> RunningHub {
        RunningHub::start_with(db_url, listen, None).await
    }

    /// Over HTTPS with this server configuration (see [`TestPki`]).
    pub async fn start_tls(db_url: &str, tls: Arc<rustls::ServerConfig>) -> RunningHub {
        RunningHub::start_with(db_url, "127.0.0.1:0", Some(tls)).await
    }

    async fn start_with(
        db_url: &str,
        listen: &str,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> RunningHub {
        let db = HubDb::connect(db_url).await.unwrap();
        let listener = tokio::net::TcpListener::bind(listen).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = Arc::new(HubState::with_system_clock(db.clone()));
        let scheme = if tls.is_some() { "https" } else { "http" };
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            match tls {
                Some(tls) => zk_hub::serve_tls(listener, tls, state, shutdown).await,
                None => zk_hub::serve(listener, state, shutdown).await,
            }
            .unwrap();
        });
        RunningHub {
            url: format!("{scheme}://{addr}"),
            addr,
            db,
            stop: Some(stop),
            task: Some(task),
        }
    }

    pub async fn enrol(&self, desk: &Desk) {
        assert_eq!(
            self.db
                .enrol_desk(&desk.key().public_hex(), &desk.name, None, now_ms())
                .await
                .unwrap(),
            zk_hub::Enrolment::Enrolled
        );
    }

    /// Imports roster CSV bytes (the desk's format) as `site`'s roster.
    pub async fn import_roster(&self, site: &str, csv: &[u8]) -> zk_hub::RosterImport {
        let registrations =
            zk_store::parse_roster(csv, RosterFormat::Csv, zk_store::ImportLimits::default())
                .unwrap();
        let entries: Vec<_> = registrations
            .iter()
            .map(zk_sync::roster::entry_of)
            .collect();
        self.db
            .import_roster(site, &entries, now_ms())
            .await
            .unwrap()
    }

    /// Enrols the desk at `site` (the roster it may pull).
    pub async fn enrol_at(&self, desk: &Desk, site: &str) {
        assert_eq!(
            self.db
                .enrol_desk(&desk.key().public_hex(), &desk.name, Some(site), now_ms())
                .await
                .unwrap(),
            zk_hub::Enrolment::Enrolled
        );
    }

    /// Stops serving (the database stays).
    pub async fn stop(mut self) -> HubDb {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
        self.db.clone()
    }
}

/// A private CA and a hub certificate it signed for `localhost` and 127.0.0.1, as PEM files.
pub struct TestPki {
    pub dir: tempfile::TempDir,
    pub ca_pem: String,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
}

impl TestPki {
    pub fn new() -> TestPki {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "zk test site CA");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let mut hub_params =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        hub_params
            .distinguished_name
            .push(DnType::CommonName, "zk test hub");
        let hub_key = KeyPair::generate().unwrap();
        let hub_cert = hub_params.signed_by(&hub_key, &issuer).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let cert_path = dir.path().join("hub.pem");
        let key_path = dir.path().join("hub.key");
        std::fs::write(&cert_path, hub_cert.pem()).unwrap();
        std::fs::write(&key_path, hub_key.serialize_pem()).unwrap();
        TestPki {
            dir,
            ca_pem: ca_cert.pem(),
            cert_path,
            key_path,
        }
    }

    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        zk_hub::load_tls_config(&self.cert_path, &self.key_path).unwrap()
    }
}

/// A fresh SQLite hub database in a temp dir.
pub fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("hub.sqlite").display())
}

/// A throwaway PostgreSQL cluster for this test process (initdb + pg_ctl on a temp dir and a
/// free port, as the `postgres` user when running as root); stopped and removed by a watchdog
/// when the process ends.
pub struct PgCluster {
    pub port: u16,
}

static CLUSTER: OnceLock<Result<PgCluster, String>> = OnceLock::new();

fn pg_bin() -> Result<PathBuf, String> {
    let root = std::path::Path::new("/usr/lib/postgresql");
    let mut versions: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|_| {
            "PostgreSQL is not installed: run scripts/setup.sh (apt-get install postgresql)"
                .to_owned()
        })?
        .filter_map(|entry| entry.ok().map(|entry| entry.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin: run scripts/setup.sh".into())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
        .unwrap_or(false)
}

fn as_pg_user(program: &std::path::Path) -> Command {
    if is_root() {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn start_cluster() -> Result<PgCluster, String> {
    let bin = pg_bin()?;
    let dir = std::env::temp_dir().join(format!("zk-hub-pg-{}", std::process::id()));
    let data = dir.join("data");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    if is_root() {
        let status = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
        if !status.success() {
            return Err("cannot chown the cluster dir to postgres".into());
        }
    }
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        probe.local_addr().map_err(|e| e.to_string())?.port()
    };
    let out = as_pg_user(&bin.join("initdb"))
        .args(["-A", "trust", "-U", "zk", "-E", "UTF8", "--no-locale", "-D"])
        .arg(&data)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let options = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
        dir.display()
    );
    let out = as_pg_user(&bin.join("pg_ctl"))
        .args(["-w", "-l"])
        .arg(dir.join("log"))
        .args(["-o", &options, "-D"])
        .arg(&data)
        .arg("start")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "pg_ctl start failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    // Watchdog: stop and remove the cluster when this process ends.
    let stop = if is_root() {
        format!("runuser -u postgres -- {}", bin.join("pg_ctl").display())
    } else {
        bin.join("pg_ctl").display().to_string()
    };
    let script = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} -D {data} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
        pid = std::process::id(),
        data = data.display(),
        dir = dir.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    Ok(PgCluster { port })
}

/// A fresh PostgreSQL database URL (`ZK_TEST_POSTGRES_URL` for a server of your own: each test
/// gets a new database in it).
pub async fn postgres_url() -> String {
    let base = match std::env::var("ZK_TEST_POSTGRES_URL") {
        Ok(url) => url.trim_end_matches('/').to_owned(),
        Err(_) => {
            let cluster = CLUSTER
                .get_or_init(start_cluster)
                .as_ref()
                .unwrap_or_else(|why| panic!("cannot start a PostgreSQL cluster: {why}"));
            format!("postgres://zk@127.0.0.1:{}", cluster.port)
        }
    };
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let name = format!(
        "zk_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
    );
    sqlx::any::install_default_drivers();
    let admin = sqlx::AnyPool::connect(&format!("{base}/postgres"))
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    format!("{base}/{name}")
}
