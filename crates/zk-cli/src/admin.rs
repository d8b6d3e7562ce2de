//! Security administration at the desk: staff accounts (`zk operator …`), the retention purge and
//! key rotation (`zk store …`). Secrets are read from standard input, one per line, never from the
//! command line (which other users can see in the process list and which shells keep in history).
//!
//! Bootstrap: while the store has no admin, `zk operator add ID --role admin` creates the first
//! one without a sign-in (whoever runs `zk` on the desk already holds the store folder and its
//! key). After that every account change names the acting admin with `--as ADMIN`, whose secret
//! is the first line on standard input; the check counts towards that admin's lock-out and is
//! audited.

use std::io::{BufRead, IsTerminal, Write};

use serde::Serialize;
use zeroize::Zeroizing;
use zk_domain::{Role, StaffPolicy};
use zk_store::{NewOperator, Store, StoreError};

use crate::commands::{CliError, Context};

/// Who the CLI is in the audit log when no admin is named.
const CLI_ACTOR: &str = "zk-cli";

impl Context {
    /// The store with the key backend of the config (`security.key_store`).
    fn open_secure_store(&self) -> Result<(Store, zk_app::AppConfig), CliError> {
        let config = self.config()?;
        let dir = self.store_dir()?;
        std::fs::create_dir_all(&dir).map_err(|source| CliError::StoreDir {
            path: dir.clone(),
            source,
        })?;
        let store = Store::open_with_backend(&dir, config.security.key_backend()?)?;
        Ok((store, config))
    }
}

fn now() -> zk_domain::Timestamp {
    use zk_app::Clock;
    zk_app::SystemClock.now()
}

/// Reads the next secret line from standard input (prompting on a terminal).
fn read_secret(
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
    prompt: &str,
) -> Result<Zeroizing<String>, CliError> {
    if std::io::stdin().is_terminal() {
        eprint!("{prompt}: ");
        let _ = std::io::stderr().flush();
    }
    match lines.next() {
        Some(Ok(line)) => Ok(Zeroizing::new(
            line.trim_end_matches(['\r', '\n']).to_owned(),
        )),
        Some(Err(error)) => Err(CliError::Usage(format!(
            "cannot read the {prompt} from standard input: {error}"
        ))),
        None => Err(CliError::Usage(format!(
            "the {prompt} is read from standard input (one line); none was given"
        ))),
    }
}

fn stdin_lines() -> impl Iterator<Item = std::io::Result<String>> {
    std::io::stdin().lock().lines()
}

/// Checks `--as ADMIN` with the admin's secret from standard input; returns the admin's id.
fn require_admin(
    store: &mut Store,
    acting: Option<&str>,
    policy: &StaffPolicy,
    lines: &mut impl Iterator<Item = std::io::Result<String>>,
) -> Result<String, CliError> {
    let Some(acting) = acting else {
        return Err(CliError::Usage(
            "this store has an admin: name yourself with --as ADMIN_ID and give your password or PIN on standard input".into(),
        ));
    };
    let secret = read_secret(lines, &format!("password or PIN of {acting}"))?;
    let operator = store.sign_in(acting, &secret, policy, now())?;
    if operator.role != Role::Admin {
        return Err(CliError::Failed(format!(
            "{acting} is a {}, not an admin; ask an admin to do this",
            operator.role
        )));
    }
    Ok(operator.id)
}

fn parse_role(text: &str) -> Result<Role, CliError> {
    Role::from_code(text)
        .ok_or_else(|| CliError::Usage(format!("--role {text:?}: use operator, reviewer or admin")))
}

pub fn operator_add(
    context: &Context,
    id: &str,
    name: &str,
    role: &str,
    acting: Option<&str>,
) -> Result<(), CliError> {
    let role = parse_role(role)?;
    let (mut store, config) = context.open_secure_store()?;
    let policy = config.security.staff_policy()?;
    let mut lines = stdin_lines();
    let actor = if store.has_admin()? {
        require_admin(&mut store, acting, &policy, &mut lines)?
    } else if role == Role::Admin {
        CLI_ACTOR.to_owned()
    } else {
        return Err(CliError::Usage(
            "this store has no admin yet: create the first one with --role admin".into(),
        ));
    };
    let secret = read_secret(&mut lines, &format!("new password or PIN for {id}"))?;
    let new = NewOperator {
        id: id.to_owned(),
        display_name: name.to_owned(),
        role,
    };
    let operator = store.add_operator(&new, &secret, &policy, &actor, now())?;
    println!("operator {} ({}) added", operator.id, operator.role);
    Ok(())
}

#[derive(Serialize)]
struct OperatorJson<'a> {
    id: &'a str,
    display_name: &'a str,
    role: &'static str,
    locked: bool,
    failed_sign_ins: u32,
    /// Milliseconds since the Unix epoch (UTC).
    last_sign_in_at: Option<i64>,
}

pub fn operator_list(context: &Context, json: bool) -> Result<(), CliError> {
    let (store, _) = context.open_secure_store()?;
    let operators = store.operators()?;
    let rows: Vec<OperatorJson> = operators
        .iter()
        .map(|operator| OperatorJson {
            id: &operator.id,
            display_name: &operator.display_name,
            role: operator.role.code(),
            locked: operator.locked,
            failed_sign_ins: operator.failed_sign_ins,
            last_sign_in_at: operator.last_sign_in_at.map(|at| at.as_millis()),
        })
        .collect();
    if json {
        println!("{}", serde_json::json!({ "operators": rows }));
        return Ok(());
    }
    println!("{} operator(s)", rows.len());
    for row in rows {
        println!(
            "{:<20} {:<9} {:<8} failed={} {}",
            row.id,
            row.role,
            if row.locked { "LOCKED" } else { "active" },
            row.failed_sign_ins,
            row.display_name
        );
    }
    Ok(())
}

pub fn operator_unlock(context: &Context, id: &str, acting: Option<&str>) -> Result<(), CliError> {
    let (mut store, config) = context.open_secure_store()?;
    let policy = config.security.staff_policy()?;
    let actor = require_admin(&mut store, acting, &policy, &mut stdin_lines())?;
    store.unlock_operator(id, &actor, now())?;
    println!("operator {id} unlocked");
    Ok(())
}

/// A new secret for `id`: as an admin (`--as`, admin secret then new secret on stdin), or as the
/// operator (current secret then new secret).
pub fn operator_passwd(context: &Context, id: &str, acting: Option<&str>) -> Result<(), CliError> {
    let (mut store, config) = context.open_secure_store()?;
    let policy = config.security.staff_policy()?;
    let mut lines = stdin_lines();
    let actor = match acting {
        Some(_) => require_admin(&mut store, acting, &policy, &mut lines)?,
        None => {
            let current = read_secret(&mut lines, &format!("current password or PIN of {id}"))?;
            store.sign_in(id, &current, &policy, now())?.id
        }
    };
    let secret = read_secret(&mut lines, &format!("new password or PIN for {id}"))?;
    store.set_operator_secret(id, &secret, &policy, &actor, now())?;
    println!("operator {id}: new password/PIN set");
    Ok(())
}

pub fn store_purge(context: &Context, dry_run: bool, json: bool) -> Result<(), CliError> {
    let (mut store, config) = context.open_secure_store()?;
    let policy = config.retention.policy()?;
    let report = zk_app::retention::run(&mut store, &policy, now(), CLI_ACTOR, dry_run)?;
    let planned = report.planned_by_kind_and_reason();
    if json {
        let outcome = report.outcome.as_ref().map(|outcome| {
            serde_json::json!({
                "purged": outcome.purged,
                "bytes": outcome.bytes,
                "compacted": outcome.compacted,
            })
        });
        let items: Vec<_> = report
            .planned
            .iter()
            .map(|item| {
                serde_json::json!({
                    "artefact_id": item.id.0,
                    "kind": item.kind.code(),
                    "reason": item.reason.code(),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({
                "dry_run": dry_run,
                "planned": report.planned.len(),
                "by_kind_and_reason": planned,
                "items": items,
                "outcome": outcome,
            })
        );
        return Ok(());
    }
    let verb = if dry_run { "would erase" } else { "erased" };
    println!("retention: {verb} {} artefact(s)", report.planned.len());
    for (key, count) in &planned {
        println!("  {key}: {count}");
    }
    match &report.outcome {
        Some(outcome) if !outcome.compacted && outcome.purged > 0 => println!(
            "  note: another program holds the store open; erased pages leave the WAL at its next checkpoint"
        ),
        Some(outcome) => println!(
            "  {} artefact(s), {} bytes erased; database compacted",
            outcome.purged, outcome.bytes
        ),
        None => println!("  (dry run: nothing was changed)"),
    }
    Ok(())
}

pub fn store_rotate_key(context: &Context, json: bool) -> Result<(), CliError> {
    let (mut store, _) = context.open_secure_store()?;
    let report = store
        .rotate_key(CLI_ACTOR, now())
        .map_err(|error| match error {
            StoreError::Database { .. } => CliError::Failed(format!(
            "{error}; if another program (the kiosk) has the store open, stop it and run this again"
        )),
            other => CliError::Store(other),
        })?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "artefacts": report.artefacts,
                "roster_rows": report.roster_rows,
                "other_rows": report.other_rows,
                "old_fingerprint": report.old_fingerprint,
                "new_fingerprint": report.new_fingerprint,
            })
        );
    } else {
        println!(
            "artefact key rotated ({} → {}): {} artefact(s), {} roster row(s), {} other value(s) re-encrypted; the old key was erased. Restart any kiosk using this store (it refuses to write with the old key).",
            report.old_fingerprint,
            report.new_fingerprint,
            report.artefacts,
            report.roster_rows,
            report.other_rows
        );
    }
    Ok(())
}
