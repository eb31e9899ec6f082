//! What the window tells the user: every error, warning and piece of news
//! is kept with its time until dismissed (not just the last one). The
//! status bar shows the newest and how many there are; the list opens
//! from there.

use std::time::SystemTime;

use egui::Color32;

use super::command::AppCommand;
use super::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone)]
pub struct Notification {
    pub id: u64,
    pub level: Level,
    pub text: String,
    pub at: SystemTime,
}

impl Notification {
    /// The time of day it came, `HH:MM:SS` (UTC).
    pub fn clock(&self) -> String {
        let secs = self
            .at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let day = secs % 86_400;
        format!("{:02}:{:02}:{:02}", day / 3600, day % 3600 / 60, day % 60)
    }
}

#[derive(Default)]
pub struct Notifications {
    items: Vec<Notification>,
    next_id: u64,
    /// The first id of the current workspace (see [`Notifications::since`]).
    mark: u64,
    pub open: bool,
}

impl Notifications {
    pub fn push(&mut self, level: Level, text: impl Into<String>) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.items.push(Notification {
            id,
            level,
            text: text.into(),
            at: SystemTime::now(),
        });
        id
    }

    pub fn info(&mut self, text: impl Into<String>) -> u64 {
        self.push(Level::Info, text)
    }

    pub fn warn(&mut self, text: impl Into<String>) -> u64 {
        self.push(Level::Warning, text)
    }

    pub fn error(&mut self, text: impl Into<String>) -> u64 {
        self.push(Level::Error, text)
    }

    pub fn dismiss(&mut self, id: u64) {
        self.items.retain(|n| n.id != id);
    }

    pub fn dismiss_all(&mut self) {
        self.items.clear();
    }

    /// Every notification not dismissed, oldest first.
    pub fn items(&self) -> &[Notification] {
        &self.items
    }

    pub fn latest(&self) -> Option<&Notification> {
        self.items.last()
    }

    /// From now on, [`Notifications::since_mark`] lists only what comes
    /// next (a new workspace was opened); older ones stay in the list.
    pub fn set_mark(&mut self) {
        self.mark = self.next_id;
    }

    /// The notifications since the mark, oldest first.
    pub fn since_mark(&self) -> impl Iterator<Item = &Notification> {
        self.items.iter().filter(|n| n.id >= self.mark)
    }

    /// The newest notification in the status bar, with a button that
    /// opens the list when there is more than one.
    pub fn status(&self, ui: &mut egui::Ui, lang: Lang) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        let Some(last) = self.latest() else {
            return asked;
        };
        ui.colored_label(colour(last.level), first_line(&last.text))
            .on_hover_text(&last.text);
        let label = match lang {
            Lang::Vi => format!("Thông báo ({})", self.items.len()),
            Lang::En => format!("Messages ({})", self.items.len()),
        };
        if ui.button(label).clicked() {
            asked.push(AppCommand::ShowNotifications(!self.open));
        }
        asked
    }

    /// The list: time, text and a dismiss button for each, newest first.
    pub fn window(&self, ctx: &egui::Context, lang: Lang) -> Vec<AppCommand> {
        let mut asked = Vec::new();
        if !self.open {
            return asked;
        }
        let (title, dismiss, all) = match lang {
            Lang::Vi => ("Thông báo", "Bỏ qua", "Bỏ qua tất cả"),
            Lang::En => ("Messages", "Dismiss", "Dismiss all"),
        };
        let mut open = true;
        egui::Window::new(title)
            .open(&mut open)
            .default_width(520.0)
            .show(ctx, |ui| {
                if ui.button(all).clicked() {
                    asked.push(AppCommand::DismissAllNotifications);
                }
                egui::ScrollArea::vertical().show(ui, |ui| {
                    for n in self.items.iter().rev() {
                        ui.horizontal(|ui| {
                            ui.label(n.clock());
                            if ui.small_button(dismiss).clicked() {
                                asked.push(AppCommand::DismissNotification(n.id));
                            }
                        });
                        // Below, so a long message (a list of layers) wraps.
                        ui.add(
                            egui::Label::new(egui::RichText::new(&n.text).color(colour(n.level)))
                                .wrap(),
                        );
                        ui.separator();
                    }
                });
            });
        if !open {
            asked.push(AppCommand::ShowNotifications(false));
        }
        asked
    }
}

fn colour(level: Level) -> Color32 {
    match level {
        Level::Info => Color32::from_gray(200),
        Level::Warning => Color32::from_rgb(220, 140, 0),
        Level::Error => Color32::from_rgb(200, 40, 40),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_is_kept_until_dismissed() {
        let mut n = Notifications::default();
        let a = n.error("one");
        n.warn("two");
        n.set_mark();
        n.info("three");
        assert_eq!(n.items().len(), 3);
        assert_eq!(n.since_mark().count(), 1);
        n.dismiss(a);
        let left: Vec<&str> = n.items().iter().map(|i| i.text.as_str()).collect();
        assert_eq!(left, ["two", "three"]);
        assert_eq!(n.latest().unwrap().clock().len(), 8);
    }
}
