//! The list syntax `--status` and `--method` share: items separated by
//! commas, each negated with `!` to drop what it names.

/// One item of such a list.
pub(super) struct ListItem<'a> {
    /// As written (trimmed), for messages.
    pub written: &'a str,
    pub negated: bool,
    /// What it names, without the `!`.
    pub name: &'a str,
}

/// The items of `list`, in order.
pub(super) fn items(list: &str) -> impl Iterator<Item = ListItem<'_>> {
    list.split(',')
        .map(str::trim)
        .map(|written| match written.strip_prefix('!') {
            Some(name) => ListItem {
                written,
                negated: true,
                name: name.trim(),
            },
            None => ListItem {
                written,
                negated: false,
                name: written,
            },
        })
}

/// An item of a list, for a message: with the list when there is more.
pub(super) fn quote_item(item: &str, list: &str) -> String {
    if item == list.trim() {
        format!("'{item}'")
    } else {
        format!("'{item}' in '{list}'")
    }
}
