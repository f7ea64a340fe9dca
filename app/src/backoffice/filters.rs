//! The filters lists of accounts share (the accounts list, the aging).

use super::segment_msg;
use crate::domain::Segment;
use crate::i18n::{t, Msg};
use leptos::prelude::*;

/// A list's segment filter (`segment=`; empty: every segment).
#[component]
pub fn SegmentFilter(selected: Option<Segment>) -> impl IntoView {
    view! {
        <label>{t(Msg::Segment)}
            <select name="segment">
                <option value="">{t(Msg::AnySegment)}</option>
                {Segment::ALL.into_iter().map(|s| view! {
                    <option value=s.as_str() selected=selected == Some(s)>{t(segment_msg(s))}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// A list's collector filter (`collector=`; 0: unassigned), shown when
/// there are collectors to choose from (an owner's or an accountant's view).
#[component]
pub fn CollectorFilter(collectors: Vec<(i64, String)>, selected: Option<i64>) -> impl IntoView {
    (!collectors.is_empty()).then(|| {
        view! {
            <label>{t(Msg::Collector)}
                <select name="collector">
                    <option value="">{t(Msg::AnyCollector)}</option>
                    <option value="0" selected=selected == Some(0)>{t(Msg::Unassigned)}</option>
                    {collectors.into_iter().map(|(id, name)| view! {
                        <option value=id.to_string() selected=selected == Some(id)>{name}</option>
                    }).collect_view()}
                </select>
            </label>
        }
    })
}
