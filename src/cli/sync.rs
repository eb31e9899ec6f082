//! `tramgis sync …`: remotes, check-out, push, pull, status, conflicts,
//! their resolution, the sync log and the portal's DDL.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};

use crate::gpkg::GeoPackage;
use crate::jobs::Progress;
use crate::sync::boundaries::{self, Level};
use crate::sync::checkout::CheckoutRequest;
use crate::sync::connect::{detect, secret_to_keep, session_credentials};
use crate::sync::http::{Credentials, Limits};
use crate::sync::keyring::{self, KeyringError};
use crate::sync::remote::{self, Auth, Protocol, Remote};
use crate::sync::resolve::{Resolution, resolve};
use crate::sync::run::{self as sync_run, Operation};
use crate::sync::server_sql;
use crate::sync::state;

#[derive(Subcommand, Debug)]
pub enum SyncCommand {
    /// Portals this workspace syncs with.
    #[command(subcommand)]
    Remote(RemoteCommand),
    /// Download a collection (within an extent) as a new local layer.
    Checkout(CheckoutArgs),
    /// Send this workspace's changes since the last sync.
    Push(RemoteArgs),
    /// Take the server's changes since the last sync.
    Pull(RemoteArgs),
    /// Pull, then push.
    Sync(RemoteArgs),
    /// Keep the remote's password or token in the OS keyring (asked for
    /// once, or read from standard input or TRAMGIS_SYNC_PASSWORD/TOKEN).
    Login { workspace: PathBuf, remote: String },
    /// Delete the remote's password or token from the OS keyring.
    Logout { workspace: PathBuf, remote: String },
    /// What is waiting to be pushed, and open conflicts, per layer.
    Status { workspace: PathBuf },
    /// The open conflicts, with mine / theirs / base of each field.
    Conflicts { workspace: PathBuf },
    /// Decide a conflict: keep mine or take theirs (an undoable edit).
    Resolve(ResolveArgs),
    /// The sync log: who synced when, with what, and what came of it.
    Log {
        workspace: PathBuf,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Print the PostGIS DDL that gives a portal's tables a UUID column,
    /// `updated_at` kept by a trigger and a tombstone table for deletes.
    ServerSql {
        /// Tables (schema.table allowed).
        #[arg(required = true)]
        tables: Vec<String>,
        #[arg(long, default_value = "uuid")]
        uuid_column: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum RemoteCommand {
    Add {
        workspace: PathBuf,
        name: String,
        url: String,
        /// ogcapi-features, wfs-t, or auto (asks the server).
        #[arg(long, default_value = "auto")]
        protocol: String,
        /// HTTP Basic user (the password is asked for, or TRAMGIS_SYNC_PASSWORD).
        #[arg(long)]
        user: Option<String>,
        /// A bearer token is asked for (or TRAMGIS_SYNC_TOKEN).
        #[arg(long)]
        bearer: bool,
        /// Ask for the secret once and keep it in the OS keyring (Secret
        /// Service), so later sessions are not asked.
        #[arg(long)]
        save_secret: bool,
    },
    List {
        workspace: PathBuf,
    },
    Remove {
        workspace: PathBuf,
        name: String,
    },
}

#[derive(Args, Debug)]
pub struct RemoteArgs {
    pub workspace: PathBuf,
    pub remote: String,
    /// Give up on a request after this many seconds.
    #[arg(long, default_value_t = 60)]
    pub timeout: u64,
    /// Requests in flight at once where the protocol has no batch (OGC
    /// API – Features); what the portal allows.
    #[arg(long, default_value_t = 8)]
    pub connections: usize,
}

#[derive(Args, Debug)]
pub struct CheckoutArgs {
    pub workspace: PathBuf,
    pub remote: String,
    /// The collection (OGC API) or feature type (WFS).
    pub collection: String,
    /// The local layer to create (default: the collection's name).
    #[arg(long)]
    pub layer: Option<String>,
    /// minx,miny,maxx,maxy in the layer's CRS.
    #[arg(long, value_delimiter = ',', num_args = 4)]
    pub bbox: Option<Vec<f64>>,
    /// Only the extent of this commune of the workspace's boundary layer
    /// `ranh_gioi_xa` (by `ten_xa`) instead of a box.
    #[arg(long, conflicts_with_all = ["bbox", "district"])]
    pub commune: Option<String>,
    /// Only the extent of this district of `ranh_gioi_huyen` (by
    /// `ten_huyen`).
    #[arg(long, conflicts_with = "bbox")]
    pub district: Option<String>,
    #[arg(long, default_value_t = 9214)]
    pub epsg: i32,
    #[arg(long, default_value = "uuid")]
    pub uuid_field: String,
    /// A local field named otherwise than the server's property:
    /// LOCAL=SERVER (repeatable), e.g. `--rename do_cao=height`.
    #[arg(long = "rename", value_name = "LOCAL=SERVER")]
    pub renames: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ResolveArgs {
    pub workspace: PathBuf,
    pub conflict: i64,
    #[arg(long, conflicts_with = "theirs")]
    pub mine: bool,
    #[arg(long)]
    pub theirs: bool,
}

pub fn run(command: &SyncCommand) -> Result<()> {
    match command {
        SyncCommand::Remote(c) => remote_command(c),
        SyncCommand::Checkout(a) => run_checkout(a),
        SyncCommand::Push(a) => run_logged(a, &Operation::Push),
        SyncCommand::Pull(a) => run_logged(a, &Operation::Pull),
        SyncCommand::Sync(a) => run_logged(a, &Operation::Sync),
        SyncCommand::Login { workspace, remote } => login(&stored_remote(workspace, remote)?),
        SyncCommand::Logout { workspace, remote } => {
            let remote = stored_remote(workspace, remote)?;
            match keyring::forget(&remote)? {
                true => println!("{}: secret deleted from the OS keyring", remote.url),
                false => println!("{}: the OS keyring kept no secret for it", remote.url),
            }
            Ok(())
        }
        SyncCommand::Status { workspace } => status(workspace),
        SyncCommand::Conflicts { workspace } => conflicts(workspace),
        SyncCommand::Resolve(a) => run_resolve(a),
        SyncCommand::Log { workspace, limit } => log(workspace, *limit),
        SyncCommand::ServerSql {
            tables,
            uuid_column,
        } => {
            print!("{}", server_sql::server_sql(tables, uuid_column));
            Ok(())
        }
    }
}

fn remote_command(command: &RemoteCommand) -> Result<()> {
    match command {
        RemoteCommand::Add {
            workspace,
            name,
            url,
            protocol,
            user,
            bearer,
            save_secret,
        } => {
            let gpkg = GeoPackage::open(workspace)?;
            let auth = match (user, bearer) {
                (Some(u), _) => Auth::Basic { user: u.clone() },
                (None, true) => Auth::Bearer,
                (None, false) => Auth::None,
            };
            let probe = Remote {
                name: name.clone(),
                url: url.clone(),
                protocol: Protocol::OgcApiFeatures,
                auth: auth.clone(),
            };
            // Kept before detection, so the probe uses it and the user is
            // asked once.
            if *save_secret {
                login(&probe)?;
            }
            let protocol = match protocol.as_str() {
                "auto" => detect(url, session_credentials(&probe)?)?,
                other => Protocol::parse(other).with_context(|| {
                    format!("unknown protocol '{other}' (ogcapi-features, wfs-t)")
                })?,
            };
            let remote = Remote {
                name: name.clone(),
                url: url.clone(),
                protocol,
                auth,
            };
            remote::add(gpkg.connection(), &remote)?;
            println!("{name}\t{}\t{url}", protocol.name());
            Ok(())
        }
        RemoteCommand::List { workspace } => {
            let gpkg = GeoPackage::open_read_only(workspace)?;
            for r in remote::list(gpkg.connection())? {
                let layers = remote::layers(gpkg.connection(), &r.name)?;
                let names: Vec<String> = layers
                    .iter()
                    .map(|m| format!("{}↔{}", m.layer, m.collection))
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    r.name,
                    r.protocol.name(),
                    r.url,
                    r.auth.describe(),
                    names.join(", ")
                );
            }
            Ok(())
        }
        RemoteCommand::Remove { workspace, name } => {
            let gpkg = GeoPackage::open(workspace)?;
            let gone = remote::get(gpkg.connection(), name)?;
            remote::remove(gpkg.connection(), name)?;
            // Where no keyring runs nothing was kept, so nothing to say.
            match keyring::forget(&gone) {
                Ok(true) => println!("{}: secret deleted from the OS keyring", gone.url),
                Ok(false) | Err(KeyringError::Unavailable(_)) => {}
                Err(e) => eprintln!("{}: {e}", gone.url),
            }
            Ok(())
        }
    }
}

fn stored_remote(workspace: &PathBuf, name: &str) -> Result<Remote> {
    let gpkg = GeoPackage::open_read_only(workspace)?;
    Ok(remote::get(gpkg.connection(), name)?)
}

fn login(remote: &Remote) -> Result<()> {
    let Some(secret) = secret_to_keep(remote)? else {
        bail!("{}: the remote needs no password or token", remote.url);
    };
    keyring::store(remote, &secret)?;
    println!("{}: secret kept in the OS keyring", remote.url);
    Ok(())
}

fn credentials_for(workspace: &PathBuf, name: &str) -> Result<Credentials> {
    Ok(session_credentials(&stored_remote(workspace, name)?)?)
}

fn limits(timeout: u64) -> Limits {
    Limits {
        request: std::time::Duration::from_secs(timeout.max(1)),
        ..Limits::default()
    }
}

fn run_logged(args: &RemoteArgs, operation: &Operation) -> Result<()> {
    let (workspace, name) = (&args.workspace, &args.remote);
    let credentials = credentials_for(workspace, name)?;
    let progress = Progress::default();
    let s = sync_run::run(
        workspace,
        name,
        credentials,
        Limits {
            connections: args.connections,
            ..limits(args.timeout)
        },
        operation,
        &progress,
    )?;
    println!(
        "{}: {} created, {} replaced, {} deleted, {} received, {} conflicts, {} refused; \
         {} bytes sent, {} received in {} requests",
        s.remote,
        s.created,
        s.replaced,
        s.deleted,
        s.received,
        s.conflicts,
        s.errors.len(),
        s.bytes_sent,
        s.bytes_received,
        s.requests
    );
    for e in &s.errors {
        eprintln!("{e}");
    }
    Ok(())
}

fn run_checkout(a: &CheckoutArgs) -> Result<()> {
    let boundary = |level: Level, name: &str| -> Result<[f64; 4]> {
        let gpkg = GeoPackage::open_read_only(&a.workspace)?;
        Ok(boundaries::extent(&gpkg, level, name)?)
    };
    let extent = match (&a.bbox, &a.commune, &a.district) {
        (Some(b), _, _) => Some([b[0], b[1], b[2], b[3]]),
        (None, Some(name), _) => Some(boundary(Level::Commune, name)?),
        (None, None, Some(name)) => Some(boundary(Level::District, name)?),
        (None, None, None) => None,
    };
    let request = CheckoutRequest {
        collection: a.collection.clone(),
        layer: a.layer.clone().unwrap_or_else(|| a.collection.clone()),
        extent,
        epsg: a.epsg,
        uuid_field: a.uuid_field.clone(),
        renames: a
            .renames
            .iter()
            .map(|pair| match pair.split_once('=') {
                Some((local, server)) if !local.is_empty() && !server.is_empty() => {
                    Ok((local.to_string(), server.to_string()))
                }
                _ => bail!("--rename {pair}: expected LOCAL=SERVER"),
            })
            .collect::<Result<_>>()?,
    };
    let args = RemoteArgs {
        workspace: a.workspace.clone(),
        remote: a.remote.clone(),
        timeout: 60,
        connections: 8,
    };
    let layer = request.layer.clone();
    run_logged(&args, &Operation::Checkout(request))?;
    let gpkg = GeoPackage::open_read_only(&a.workspace)?;
    let mapping = remote::layer(gpkg.connection(), &a.remote, &layer)?;
    let usual = remote::LayerMapping::new(&layer, &mapping.collection, mapping.epsg).xy_tolerance;
    if mapping.xy_tolerance > usual {
        let url = remote::get(gpkg.connection(), &a.remote)?.url;
        println!(
            "note: {url} answers coordinates in degrees only to about {} of the layer's units; \
             geometries come to that precision and are compared within it \
             (a WFS of the same server, if it has one, answers the layer's CRS in full)",
            mapping.xy_tolerance
        );
    }
    Ok(())
}

fn status(workspace: &PathBuf) -> Result<()> {
    let gpkg = GeoPackage::open_read_only(workspace)?;
    let conn = gpkg.connection();
    for r in remote::list(conn)? {
        for m in remote::layers(conn, &r.name)? {
            let pending = crate::sync::push::waiting(&gpkg, &r, &m)?;
            let conflicts = state::open_conflicts(conn, Some(&r.name))?
                .iter()
                .filter(|c| c.layer == m.layer)
                .count();
            println!(
                "{}\t{}\t{} changed since the last sync\t{} conflicts",
                r.name, m.layer, pending, conflicts
            );
        }
    }
    Ok(())
}

fn conflicts(workspace: &PathBuf) -> Result<()> {
    let gpkg = GeoPackage::open_read_only(workspace)?;
    for c in state::open_conflicts(gpkg.connection(), None)? {
        println!(
            "#{}\t{}\t{}\t{}\tfid {}\t{}",
            c.id,
            c.remote,
            c.layer,
            c.kind.name(),
            c.fid.map_or("-".into(), |f| f.to_string()),
            c.uuid
        );
        for field in &c.fields {
            let show = |r: &Option<crate::sync::record::Record>| {
                r.as_ref().map_or("(deleted)".to_string(), |r| {
                    r.field(field).map_or("null".into(), |v| v.to_string())
                })
            };
            println!(
                "\t{field}: mine {} | theirs {} | base {}",
                show(&c.mine),
                show(&c.theirs),
                show(&c.base)
            );
        }
    }
    Ok(())
}

fn run_resolve(a: &ResolveArgs) -> Result<()> {
    let resolution = match (a.mine, a.theirs) {
        (true, false) => Resolution::KeepMine,
        (false, true) => Resolution::TakeTheirs,
        _ => bail!("say --mine or --theirs"),
    };
    let mut gpkg = GeoPackage::open(&a.workspace)?;
    resolve(&mut gpkg, a.conflict, &resolution)?;
    println!(
        "conflict #{} resolved ({}); push to send it",
        a.conflict,
        resolution.name()
    );
    Ok(())
}

fn log(workspace: &PathBuf, limit: usize) -> Result<()> {
    let gpkg = GeoPackage::open_read_only(workspace)?;
    for e in state::history(gpkg.connection(), limit)? {
        println!(
            "{}\t{}\t{}\t{}\t{}\tcreated {} replaced {} deleted {} received {} conflicts {}\t{} B sent, {} B received, {} requests\t{}",
            e.started_at,
            e.user,
            e.remote,
            e.operation,
            e.outcome,
            e.created,
            e.replaced,
            e.deleted,
            e.received,
            e.conflicts,
            e.bytes_sent,
            e.bytes_received,
            e.requests,
            e.errors.join(" | ")
        );
    }
    Ok(())
}
