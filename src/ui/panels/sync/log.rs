//! The sync log page: each run, newest first: when, who, with which
//! remote, what, its counts and bytes, how it ended and its errors.

use super::t;
use crate::sync::state::LogEntry;
use crate::ui::i18n::{Lang, SyncKey as S};

pub fn ui(ui: &mut egui::Ui, lang: Lang, log: &[LogEntry]) {
    if log.is_empty() {
        ui.label(t(lang, S::NoRuns));
        return;
    }
    egui::ScrollArea::horizontal()
        .id_salt("sync-log")
        .show(ui, |ui| {
            egui::Grid::new("sync-log-grid")
                .striped(true)
                .show(ui, |ui| {
                    for key in [
                        S::When,
                        S::Who,
                        S::Remote,
                        S::Operation,
                        S::Result,
                        S::Counts,
                        S::Bytes,
                        S::Errors,
                    ] {
                        ui.strong(t(lang, key));
                    }
                    ui.end_row();
                    for e in log {
                        ui.label(when(&e.started_at));
                        ui.label(e.user.as_str());
                        ui.label(e.remote.as_str());
                        ui.label(e.operation.as_str());
                        let outcome = outcome_label(lang, &e.outcome);
                        if e.outcome == "ok" {
                            ui.label(outcome);
                        } else {
                            ui.colored_label(ui.visuals().warn_fg_color, outcome);
                        }
                        ui.label(counts(lang, e));
                        ui.label(format!(
                            "{} {} · {} {} · {} {}",
                            t(lang, S::Sent),
                            bytes(e.bytes_sent),
                            t(lang, S::Received),
                            bytes(e.bytes_received),
                            e.requests,
                            t(lang, S::Requests)
                        ));
                        ui.label(e.errors.join("\n"));
                        ui.end_row();
                    }
                });
        });
}

/// What a run did, in a few words.
pub fn counts(lang: Lang, e: &LogEntry) -> String {
    format!(
        "{} {} · {} {} · {} {} · {} {} · {} {}",
        t(lang, S::Created),
        e.created,
        t(lang, S::Replaced),
        e.replaced,
        t(lang, S::DeletedCount),
        e.deleted,
        t(lang, S::Received),
        e.received,
        t(lang, S::ConflictsCount),
        e.conflicts
    )
}

/// The log's UTC timestamp (2026-12-03T09:20:59.045Z) as people read it.
fn when(stamp: &str) -> String {
    match stamp.split_once('T') {
        Some((day, time)) => format!("{day} {} UTC", time.get(..8).unwrap_or(time)),
        None => stamp.to_string(),
    }
}

/// The log's outcome (ok, partial, cancelled, failed) in words.
pub fn outcome_label(lang: Lang, outcome: &str) -> String {
    match outcome {
        "ok" => t(lang, S::OutcomeOk).into(),
        "partial" => t(lang, S::OutcomePartial).into(),
        "cancelled" => t(lang, S::OutcomeCancelled).into(),
        "failed" => t(lang, S::OutcomeFailed).into(),
        other => other.into(),
    }
}

fn bytes(n: u64) -> String {
    match n {
        0..1024 => format!("{n} B"),
        1024..1_048_576 => format!("{:.1} KiB", n as f64 / 1024.0),
        _ => format!("{:.1} MiB", n as f64 / 1_048_576.0),
    }
}
