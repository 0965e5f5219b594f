//! Undo/redo as patches: the changed rectangle's ids before and after, so a long history of
//! small strokes costs little memory.

use crate::label_map::LabelMap;
use crate::style::Style;

#[derive(Debug, Clone)]
pub enum Patch {
    Region {
        x: u32,
        y: u32,
        w: u32,
        h: u32,
        before: Vec<u8>,
        after: Vec<u8>,
    },
    /// The map changed size (new canvas, import).
    Whole { before: LabelMap, after: LabelMap },
    /// The style changed. `key` is the class a colour picker is adjusting: consecutive changes
    /// with the same key are one step.
    Style {
        before: Box<Style>,
        after: Box<Style>,
        key: Option<u8>,
    },
}

fn read_region(map: &LabelMap, x: u32, y: u32, w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity((w * h) as usize);
    for row in y..y + h {
        let start = (row * map.width + x) as usize;
        out.extend_from_slice(&map.ids[start..start + w as usize]);
    }
    out
}

fn write_region(map: &mut LabelMap, x: u32, y: u32, w: u32, ids: &[u8]) {
    for (i, chunk) in ids.chunks(w as usize).enumerate() {
        let start = ((y + i as u32) * map.width + x) as usize;
        map.ids[start..start + w as usize].copy_from_slice(chunk);
    }
}

impl Patch {
    /// The patch that turns `before` into `after`, or None when they are equal.
    pub fn diff(before: &LabelMap, after: &LabelMap) -> Option<Patch> {
        if (before.width, before.height) != (after.width, after.height) {
            return Some(Patch::Whole {
                before: before.clone(),
                after: after.clone(),
            });
        }
        let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
        for (i, (a, b)) in before.ids.iter().zip(&after.ids).enumerate() {
            if a != b {
                let (x, y) = (i as u32 % before.width, i as u32 / before.width);
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x);
                y1 = y1.max(y);
            }
        }
        if x0 == u32::MAX {
            return None;
        }
        let (w, h) = (x1 - x0 + 1, y1 - y0 + 1);
        Some(Patch::Region {
            x: x0,
            y: y0,
            w,
            h,
            before: read_region(before, x0, y0, w, h),
            after: read_region(after, x0, y0, w, h),
        })
    }

    fn apply(&self, map: &mut LabelMap, style: &mut Style, forward: bool) {
        match self {
            Patch::Style { before, after, .. } => {
                *style = if forward { after } else { before }.as_ref().clone()
            }
            Patch::Region {
                x,
                y,
                w,
                before,
                after,
                ..
            } => write_region(map, *x, *y, *w, if forward { after } else { before }),
            Patch::Whole { before, after } => {
                *map = if forward {
                    after.clone()
                } else {
                    before.clone()
                }
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct History {
    done: Vec<Patch>,
    undone: Vec<Patch>,
}

impl History {
    pub fn push(&mut self, patch: Patch) {
        self.undone.clear();
        // A colour picker's drag: the newest style change with the same key replaces it.
        if let (
            Patch::Style {
                after,
                key: Some(k),
                ..
            },
            Some(Patch::Style {
                after: last,
                key: Some(lk),
                ..
            }),
        ) = (&patch, self.done.last_mut())
            && k == lk
        {
            *last = after.clone();
            return;
        }
        self.done.push(patch);
    }

    pub fn can_undo(&self) -> bool {
        !self.done.is_empty()
    }

    pub fn can_redo(&self) -> bool {
        !self.undone.is_empty()
    }

    pub fn undo(&mut self, map: &mut LabelMap, style: &mut Style) -> bool {
        let Some(p) = self.done.pop() else {
            return false;
        };
        p.apply(map, style, false);
        self.undone.push(p);
        true
    }

    pub fn redo(&mut self, map: &mut LabelMap, style: &mut Style) -> bool {
        let Some(p) = self.undone.pop() else {
            return false;
        };
        p.apply(map, style, true);
        self.done.push(p);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_covers_the_changed_rectangle_and_undoes_exactly() {
        let before = LabelMap::filled(8, 8, 1);
        let mut after = before.clone();
        after.set(2, 3, 4);
        after.set(5, 6, 4);
        let Some(Patch::Region { x, y, w, h, .. }) = Patch::diff(&before, &after) else {
            panic!("a region patch")
        };
        assert_eq!((x, y, w, h), (2, 3, 4, 4));
        assert!(Patch::diff(&before, &before).is_none());

        let mut history = History::default();
        history.push(Patch::diff(&before, &after).unwrap());
        let mut map = after.clone();
        let mut style = Style::none();
        assert!(history.undo(&mut map, &mut style));
        assert_eq!(map, before);
        assert!(!history.undo(&mut map, &mut style), "nothing more to undo");
        assert!(history.redo(&mut map, &mut style));
        assert_eq!(map, after);
    }

    #[test]
    fn a_resize_is_a_whole_map_patch() {
        let before = LabelMap::filled(4, 4, 0);
        let after = LabelMap::filled(8, 2, 3);
        let mut history = History::default();
        history.push(Patch::diff(&before, &after).unwrap());
        let mut map = after.clone();
        history.undo(&mut map, &mut Style::none());
        assert_eq!((map.width, map.height), (4, 4));
    }
}
