//! Business days and send windows in local (naive) time: Easter, the public
//! holidays of France, Alsace-Moselle and England & Wales computed for any
//! year, and the next moment a reminder may go out. Time zones are the caller's.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Weekday};
use std::fmt;

/// Easter Sunday of `year` in the Gregorian calendar (the anonymous
/// Gregorian computus, a.k.a. Meeus/Jones/Butcher). Euclidean division keeps
/// it right for any year chrono can represent.
///
/// # Panics
/// Only for a year outside chrono's range, where no date exists at all.
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year.rem_euclid(19);
    let b = year.div_euclid(100);
    let c = year.rem_euclid(100);
    let d = b.div_euclid(4);
    let e = b.rem_euclid(4);
    let f = (b + 8).div_euclid(25);
    let g = (b - f + 1).div_euclid(3);
    let h = (19 * a + b - d - g + 15).rem_euclid(30);
    let i = c.div_euclid(4);
    let k = c.rem_euclid(4);
    let l = (32 + 2 * e + 2 * i - h - k).rem_euclid(7);
    let m = (a + 11 * h + 22 * l).div_euclid(451);
    let month = (h + l - 7 * m + 114).div_euclid(31);
    let day = (h + l - 7 * m + 114).rem_euclid(31) + 1;
    // month is 3 or 4 and day 1..=31 by construction: only the year can fail.
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("year within chrono's range")
}

/// A public holiday, named for labels (the UI translates [`Holiday::as_str`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Holiday {
    NewYear,
    GoodFriday,
    EasterMonday,
    LabourDay,
    VictoryDay,
    Ascension,
    WhitMonday,
    BastilleDay,
    Assumption,
    AllSaints,
    Armistice,
    Christmas,
    /// 26 December in Alsace-Moselle.
    StStephen,
    /// England & Wales: first Monday of May.
    EarlyMay,
    /// England & Wales: last Monday of May.
    SpringBank,
    /// England & Wales: last Monday of August.
    SummerBank,
    BoxingDay,
}

impl Holiday {
    /// A stable key for translations ("easter_monday").
    pub fn as_str(self) -> &'static str {
        match self {
            Holiday::NewYear => "new_year",
            Holiday::GoodFriday => "good_friday",
            Holiday::EasterMonday => "easter_monday",
            Holiday::LabourDay => "labour_day",
            Holiday::VictoryDay => "victory_day",
            Holiday::Ascension => "ascension",
            Holiday::WhitMonday => "whit_monday",
            Holiday::BastilleDay => "bastille_day",
            Holiday::Assumption => "assumption",
            Holiday::AllSaints => "all_saints",
            Holiday::Armistice => "armistice",
            Holiday::Christmas => "christmas",
            Holiday::StStephen => "st_stephen",
            Holiday::EarlyMay => "early_may",
            Holiday::SpringBank => "spring_bank",
            Holiday::SummerBank => "summer_bank",
            Holiday::BoxingDay => "boxing_day",
        }
    }
}

/// Which public holidays a send window skips.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum HolidayCalendar {
    #[default]
    France,
    /// France plus Good Friday and 26 December (Bas-Rhin, Haut-Rhin, Moselle).
    FranceAlsaceMoselle,
    /// Bank holidays of England and Wales.
    EnglandWales,
    /// No holiday at all: only the weekdays of the window count.
    None,
}

impl HolidayCalendar {
    pub const ALL: [HolidayCalendar; 4] = [
        HolidayCalendar::France,
        HolidayCalendar::FranceAlsaceMoselle,
        HolidayCalendar::EnglandWales,
        HolidayCalendar::None,
    ];

    /// The stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            HolidayCalendar::France => "fr",
            HolidayCalendar::FranceAlsaceMoselle => "fr-alsace-moselle",
            HolidayCalendar::EnglandWales => "gb-eng",
            HolidayCalendar::None => "none",
        }
    }

    /// Reads back a name produced by [`HolidayCalendar::as_str`].
    pub fn parse(s: &str) -> Option<HolidayCalendar> {
        let s = s.trim();
        HolidayCalendar::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("a fixed day of a valid year")
}

fn plus_days(date: NaiveDate, days: i64) -> NaiveDate {
    // Only used for offsets that stay inside the same year (Easter -2..+50).
    date + TimeDelta::days(days)
}

fn last_monday(year: i32, month: u32) -> NaiveDate {
    let last = match month {
        12 => ymd(year, 12, 31),
        _ => ymd(year, month + 1, 1).pred_opt().expect("not the first day of chrono"),
    };
    plus_days(last, -i64::from(last.weekday().num_days_from_monday()))
}

fn first_monday(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Mon, 1).expect("every month has a first Monday")
}

/// A weekend day moved to the following Monday (the English substitute rule
/// for New Year's Day).
fn next_monday_if_weekend(date: NaiveDate) -> NaiveDate {
    match date.weekday() {
        Weekday::Sat => plus_days(date, 2),
        Weekday::Sun => plus_days(date, 1),
        _ => date,
    }
}

/// Calls `f` with each holiday of `year`, in date order. Every date is
/// computed (none is listed per year), so any year works; the callback form
/// lets [`holiday_on`] search without allocating.
fn each_holiday(calendar: HolidayCalendar, year: i32, mut f: impl FnMut(NaiveDate, Holiday)) {
    match calendar {
        HolidayCalendar::None => {}
        HolidayCalendar::France | HolidayCalendar::FranceAlsaceMoselle => {
            let alsace = calendar == HolidayCalendar::FranceAlsaceMoselle;
            let easter = easter_sunday(year);
            // Ascension can fall on 1 or 8 May (2008); both names are kept,
            // so the list is sorted afterwards by `holidays` for display.
            f(ymd(year, 1, 1), Holiday::NewYear);
            if alsace {
                f(plus_days(easter, -2), Holiday::GoodFriday);
            }
            f(plus_days(easter, 1), Holiday::EasterMonday);
            f(ymd(year, 5, 1), Holiday::LabourDay);
            f(ymd(year, 5, 8), Holiday::VictoryDay);
            f(plus_days(easter, 39), Holiday::Ascension);
            // Whit Monday is also the "journée de solidarité", worked in many
            // firms, but it stays a public holiday: no reminder goes out.
            f(plus_days(easter, 50), Holiday::WhitMonday);
            f(ymd(year, 7, 14), Holiday::BastilleDay);
            f(ymd(year, 8, 15), Holiday::Assumption);
            f(ymd(year, 11, 1), Holiday::AllSaints);
            f(ymd(year, 11, 11), Holiday::Armistice);
            f(ymd(year, 12, 25), Holiday::Christmas);
            if alsace {
                f(ymd(year, 12, 26), Holiday::StStephen);
            }
        }
        HolidayCalendar::EnglandWales => {
            // The regular rules of the Banking and Financial Dealings Act 1971
            // and the usual proclamations. One-off royal or proclaimed days
            // (jubilees, coronations, funerals) and one-off moves of a regular
            // day (Early May 2020 to Friday 8 May, Spring 2022 to 2 June) are
            // not computed: a one-off must be added by hand elsewhere.
            let easter = easter_sunday(year);
            f(next_monday_if_weekend(ymd(year, 1, 1)), Holiday::NewYear);
            f(plus_days(easter, -2), Holiday::GoodFriday);
            f(plus_days(easter, 1), Holiday::EasterMonday);
            f(first_monday(year, 5), Holiday::EarlyMay);
            f(last_monday(year, 5), Holiday::SpringBank);
            f(last_monday(year, 8), Holiday::SummerBank);
            // Christmas and Boxing Day falling on a weekend move to the next
            // weekdays not already taken: Sat 25 -> Mon 27 + Tue 28; Sun 25 ->
            // Boxing Mon 26 + Christmas Tue 27; Fri 25 -> Boxing Mon 28.
            let (christmas, boxing) = match ymd(year, 12, 25).weekday() {
                Weekday::Sat => (ymd(year, 12, 27), ymd(year, 12, 28)),
                Weekday::Sun => (ymd(year, 12, 27), ymd(year, 12, 26)),
                Weekday::Fri => (ymd(year, 12, 25), ymd(year, 12, 28)),
                _ => (ymd(year, 12, 25), ymd(year, 12, 26)),
            };
            if boxing < christmas {
                f(boxing, Holiday::BoxingDay);
                f(christmas, Holiday::Christmas);
            } else {
                f(christmas, Holiday::Christmas);
                f(boxing, Holiday::BoxingDay);
            }
        }
    }
}

/// The public holidays of `year` in `calendar`, in date order (two names
/// may share a date, e.g. Ascension on 1 May 2008).
pub fn holidays(calendar: HolidayCalendar, year: i32) -> Vec<(NaiveDate, Holiday)> {
    let mut out = Vec::with_capacity(13);
    each_holiday(calendar, year, |date, holiday| out.push((date, holiday)));
    out.sort_by_key(|(date, _)| *date);
    out
}

/// The holiday on `date`, if any (the first name when two coincide).
pub fn holiday_on(calendar: HolidayCalendar, date: NaiveDate) -> Option<Holiday> {
    let mut found = None;
    each_holiday(calendar, date.year(), |d, holiday| {
        if d == date && found.is_none() {
            found = Some(holiday);
        }
    });
    found
}

/// Whether `date` is a public holiday in `calendar`. No allocation: the
/// year's dates are computed on the fly (a handful of integer operations).
pub fn is_holiday(calendar: HolidayCalendar, date: NaiveDate) -> bool {
    holiday_on(calendar, date).is_some()
}

/// Why a send window was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WindowError {
    /// No weekday is allowed.
    NoDay,
    /// The window closes at or before it opens.
    StartNotBeforeEnd,
}

impl fmt::Display for WindowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WindowError::NoDay => "at least one weekday must be allowed",
            WindowError::StartNotBeforeEnd => "the window must open before it closes",
        })
    }
}

impl std::error::Error for WindowError {}

/// How far [`SendWindow::next_slot`] looks ahead. A valid window finds a
/// day within a few weeks (at worst a weekday is a holiday two weeks running,
/// e.g. Friday 25 December then Friday 1 January); the bound only stops the
/// search on a hand-built window that [`SendWindow::new`] would refuse.
const MAX_SEARCH_DAYS: u32 = 400;

const OPENS: NaiveTime = NaiveTime::from_hms_opt(9, 0, 0).expect("a valid time");
const CLOSES: NaiveTime = NaiveTime::from_hms_opt(18, 0, 0).expect("a valid time");

/// When reminders may go out, in the recipient's local time: allowed
/// weekdays, opening hours `[start, end)` and the holidays to skip.
/// Build it with [`SendWindow::new`]; a window assembled by hand that `new`
/// would refuse makes the searches below give up and return their input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendWindow {
    /// Allowed weekdays, Monday first.
    pub days: [bool; 7],
    /// Opening time (inclusive).
    pub start: NaiveTime,
    /// Closing time (exclusive: nothing goes out at `end` itself).
    pub end: NaiveTime,
    pub calendar: HolidayCalendar,
}

impl Default for SendWindow {
    /// Monday to Friday, 09:00 to 18:00, French holidays.
    fn default() -> Self {
        SendWindow {
            days: [true, true, true, true, true, false, false],
            start: OPENS,
            end: CLOSES,
            calendar: HolidayCalendar::France,
        }
    }
}

impl SendWindow {
    /// Refuses a window with no weekday or that does not open before it closes.
    pub fn new(
        days: [bool; 7],
        start: NaiveTime,
        end: NaiveTime,
        calendar: HolidayCalendar,
    ) -> Result<SendWindow, WindowError> {
        if !days.iter().any(|d| *d) {
            return Err(WindowError::NoDay);
        }
        if start >= end {
            return Err(WindowError::StartNotBeforeEnd);
        }
        Ok(SendWindow { days, start, end, calendar })
    }

    /// An allowed weekday that is not a holiday.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        self.days[date.weekday().num_days_from_monday() as usize] && !is_holiday(self.calendar, date)
    }

    /// Whether `local` falls inside the window.
    pub fn contains(&self, local: NaiveDateTime) -> bool {
        self.is_business_day(local.date()) && local.time() >= self.start && local.time() < self.end
    }

    /// The first business day strictly after `date`, within the search bound.
    fn next_business_day(&self, date: NaiveDate) -> Option<NaiveDate> {
        let mut day = date;
        for _ in 0..MAX_SEARCH_DAYS {
            day = day.checked_add_days(Days::new(1))?;
            if self.is_business_day(day) {
                return Some(day);
            }
        }
        None
    }

    /// The earliest local time at or after `local` inside the window:
    /// `local` itself when inside, the day's opening when earlier on a
    /// business day, else the opening of the next business day.
    pub fn next_slot(&self, local: NaiveDateTime) -> NaiveDateTime {
        let date = local.date();
        if self.is_business_day(date) {
            if local.time() < self.start {
                return date.and_time(self.start);
            }
            if local.time() < self.end {
                return local;
            }
        }
        match self.next_business_day(date) {
            Some(day) => day.and_time(self.start),
            None => local,
        }
    }

    /// The date `n` business days after `date` (`date` itself for 0, even
    /// when it is not a business day).
    pub fn add_business_days(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut day = date;
        for _ in 0..n {
            match self.next_business_day(day) {
                Some(next) => day = next,
                None => break,
            }
        }
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn easter_matches_known_dates() {
        for (year, date) in [
            (1818, "1818-03-22"), // earliest possible
            (1943, "1943-04-25"), // latest possible
            (2000, "2000-04-23"),
            (2008, "2008-03-23"),
            (2019, "2019-04-21"),
            (2024, "2024-03-31"),
            (2025, "2025-04-20"),
            (2026, "2026-04-05"),
            (2027, "2027-03-28"),
            (2038, "2038-04-25"),
            (2285, "2285-03-22"),
        ] {
            assert_eq!(easter_sunday(year), d(date), "{year}");
        }
    }

    #[test]
    fn french_holidays_2026() {
        let got: Vec<(NaiveDate, Holiday)> = holidays(HolidayCalendar::France, 2026);
        let want = [
            ("2026-01-01", Holiday::NewYear),
            ("2026-04-06", Holiday::EasterMonday),
            ("2026-05-01", Holiday::LabourDay),
            ("2026-05-08", Holiday::VictoryDay),
            ("2026-05-14", Holiday::Ascension),
            ("2026-05-25", Holiday::WhitMonday),
            ("2026-07-14", Holiday::BastilleDay),
            ("2026-08-15", Holiday::Assumption),
            ("2026-11-01", Holiday::AllSaints),
            ("2026-11-11", Holiday::Armistice),
            ("2026-12-25", Holiday::Christmas),
        ];
        assert_eq!(got, want.map(|(s, h)| (d(s), h)).to_vec());
        assert_eq!(holiday_on(HolidayCalendar::France, d("2027-03-29")), Some(Holiday::EasterMonday));
        assert!(!is_holiday(HolidayCalendar::France, d("2026-04-03")), "Good Friday is not French");
        assert!(!is_holiday(HolidayCalendar::France, d("2026-12-26")));
    }

    #[test]
    fn alsace_moselle_adds_good_friday_and_st_stephen() {
        let got = holidays(HolidayCalendar::FranceAlsaceMoselle, 2026);
        assert_eq!(got.len(), 13);
        assert_eq!(holiday_on(HolidayCalendar::FranceAlsaceMoselle, d("2026-04-03")), Some(Holiday::GoodFriday));
        assert_eq!(holiday_on(HolidayCalendar::FranceAlsaceMoselle, d("2026-12-26")), Some(Holiday::StStephen));
        assert!(got.windows(2).all(|w| w[0].0 <= w[1].0), "sorted");
    }

    #[test]
    fn coinciding_french_holidays_keep_both_names() {
        // Easter 2008 was 23 March: Ascension fell on 1 May.
        let got = holidays(HolidayCalendar::France, 2008);
        let on_first_may: Vec<Holiday> =
            got.iter().filter(|(date, _)| *date == d("2008-05-01")).map(|(_, h)| *h).collect();
        assert_eq!(on_first_may, vec![Holiday::LabourDay, Holiday::Ascension]);
        assert_eq!(holiday_on(HolidayCalendar::France, d("2008-05-12")), Some(Holiday::WhitMonday));
    }

    #[test]
    fn england_2027_with_christmas_substitutes() {
        // 25 December 2027 is a Saturday: Monday 27 and Tuesday 28 are off.
        let got = holidays(HolidayCalendar::EnglandWales, 2027);
        let want = [
            ("2027-01-01", Holiday::NewYear),
            ("2027-03-26", Holiday::GoodFriday),
            ("2027-03-29", Holiday::EasterMonday),
            ("2027-05-03", Holiday::EarlyMay),
            ("2027-05-31", Holiday::SpringBank),
            ("2027-08-30", Holiday::SummerBank),
            ("2027-12-27", Holiday::Christmas),
            ("2027-12-28", Holiday::BoxingDay),
        ];
        assert_eq!(got, want.map(|(s, h)| (d(s), h)).to_vec());
        assert!(!is_holiday(HolidayCalendar::EnglandWales, d("2027-12-25")), "the Saturday itself is not listed");
    }

    #[test]
    fn england_substitute_rules() {
        let cal = HolidayCalendar::EnglandWales;
        // 25 Dec 2022 a Sunday: Boxing Day Monday 26, Christmas substitute Tuesday 27.
        assert_eq!(holiday_on(cal, d("2022-12-26")), Some(Holiday::BoxingDay));
        assert_eq!(holiday_on(cal, d("2022-12-27")), Some(Holiday::Christmas));
        // 25 Dec 2026 a Friday: Boxing Day moves from Saturday to Monday 28.
        assert_eq!(holiday_on(cal, d("2026-12-25")), Some(Holiday::Christmas));
        assert_eq!(holiday_on(cal, d("2026-12-28")), Some(Holiday::BoxingDay));
        assert!(!is_holiday(cal, d("2026-12-26")));
        // New Year on a Saturday (2022) -> Monday 3; on a Sunday (2023) -> Monday 2.
        assert_eq!(holiday_on(cal, d("2022-01-03")), Some(Holiday::NewYear));
        assert_eq!(holiday_on(cal, d("2023-01-02")), Some(Holiday::NewYear));
        assert!(!is_holiday(cal, d("2023-01-01")));
        // Bank holidays of 2026.
        for s in ["2026-04-03", "2026-04-06", "2026-05-04", "2026-05-25", "2026-08-31"] {
            assert!(is_holiday(cal, d(s)), "{s}");
        }
        assert!(holidays(HolidayCalendar::None, 2026).is_empty());
    }

    #[test]
    fn calendar_names_round_trip() {
        for cal in HolidayCalendar::ALL {
            assert_eq!(HolidayCalendar::parse(cal.as_str()), Some(cal));
        }
        assert_eq!(HolidayCalendar::parse(" gb-eng "), Some(HolidayCalendar::EnglandWales));
        assert_eq!(HolidayCalendar::parse("uk"), None);
    }

    #[test]
    fn window_validation() {
        let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
        let all = [true; 7];
        assert_eq!(SendWindow::new([false; 7], t(9), t(18), HolidayCalendar::France), Err(WindowError::NoDay));
        assert_eq!(SendWindow::new(all, t(18), t(9), HolidayCalendar::France), Err(WindowError::StartNotBeforeEnd));
        assert_eq!(SendWindow::new(all, t(9), t(9), HolidayCalendar::France), Err(WindowError::StartNotBeforeEnd));
        assert!(SendWindow::new(all, t(9), t(10), HolidayCalendar::None).is_ok());
        let default = SendWindow::default();
        assert_eq!(SendWindow::new(default.days, default.start, default.end, default.calendar), Ok(default));
    }

    #[test]
    fn next_slot_in_the_french_default_window() {
        let w = SendWindow::default();
        // Inside: itself. Before opening: that day's opening.
        assert_eq!(w.next_slot(dt("2026-03-10 11:15")), dt("2026-03-10 11:15"));
        assert_eq!(w.next_slot(dt("2026-03-10 07:00")), dt("2026-03-10 09:00"));
        // At closing time the window is shut.
        assert_eq!(w.next_slot(dt("2026-03-10 18:00")), dt("2026-03-11 09:00"));
        // Friday evening -> Monday morning.
        assert_eq!(w.next_slot(dt("2026-03-13 18:30")), dt("2026-03-16 09:00"));
        // Friday 1 May 2026 is Labour Day.
        assert_eq!(w.next_slot(dt("2026-05-01 10:00")), dt("2026-05-04 09:00"));
        // Thursday 24 Dec evening: Christmas Friday, then the weekend.
        assert_eq!(w.next_slot(dt("2026-12-24 19:00")), dt("2026-12-28 09:00"));
        // The English calendar has Boxing Day on Monday 28 that year.
        let uk = SendWindow { calendar: HolidayCalendar::EnglandWales, ..w };
        assert_eq!(uk.next_slot(dt("2026-12-24 19:00")), dt("2026-12-29 09:00"));
    }

    #[test]
    fn business_days_skip_weekends_and_holidays() {
        let w = SendWindow::default();
        assert!(!w.is_business_day(d("2026-05-08")));
        assert!(!w.is_business_day(d("2026-05-09")));
        assert!(w.is_business_day(d("2026-05-11")));
        // Thursday 7 May + 1: Friday 8 May is Victory Day -> Monday 11.
        assert_eq!(w.add_business_days(d("2026-05-07"), 1), d("2026-05-11"));
        // Wednesday 13 May + 1: Thursday 14 is Ascension -> Friday 15.
        assert_eq!(w.add_business_days(d("2026-05-13"), 1), d("2026-05-15"));
        // + 5 from Wednesday 13 May: 15, 18, 19, 20, 21 (Whit Monday is 25).
        assert_eq!(w.add_business_days(d("2026-05-13"), 5), d("2026-05-21"));
        assert_eq!(w.add_business_days(d("2026-05-09"), 0), d("2026-05-09"));
        // A weekend-only window without holidays.
        let weekend =
            SendWindow { days: [false, false, false, false, false, true, true], calendar: HolidayCalendar::None, ..w };
        assert_eq!(weekend.add_business_days(d("2026-03-13"), 3), d("2026-03-21"));
    }

    #[test]
    fn an_invalid_hand_built_window_terminates() {
        let w = SendWindow { days: [false; 7], ..SendWindow::default() };
        assert_eq!(w.next_slot(dt("2026-03-10 11:00")), dt("2026-03-10 11:00"));
        assert_eq!(w.add_business_days(d("2026-03-10"), 3), d("2026-03-10"));
    }

    fn arb_window() -> impl Strategy<Value = SendWindow> {
        (
            proptest::array::uniform7(any::<bool>()).prop_filter("one day at least", |days| days.iter().any(|d| *d)),
            (0u32..1440, 0u32..1440).prop_filter("distinct", |(a, b)| a != b),
            0usize..HolidayCalendar::ALL.len(),
        )
            .prop_map(|(days, (a, b), cal)| {
                let time = |m: u32| NaiveTime::from_hms_opt(m / 60, m % 60, 0).unwrap();
                SendWindow::new(days, time(a.min(b)), time(a.max(b)), HolidayCalendar::ALL[cal]).unwrap()
            })
    }

    fn arb_local() -> impl Strategy<Value = NaiveDateTime> {
        (0u64..365 * 40, 0u32..86_400).prop_map(|(day, secs)| {
            let date = d("2000-01-01").checked_add_days(Days::new(day)).unwrap();
            date.and_time(NaiveTime::from_num_seconds_from_midnight_opt(secs, 0).unwrap())
        })
    }

    proptest! {
        #[test]
        fn next_slot_is_the_first_open_moment(w in arb_window(), local in arb_local()) {
            let slot = w.next_slot(local);
            prop_assert!(slot >= local);
            prop_assert!(w.contains(slot), "{slot} outside {w:?}");
            prop_assert!(w.is_business_day(slot.date()));
            prop_assert_eq!(w.next_slot(slot), slot);
            // Nothing open in between: every business day strictly between
            // the two dates would have been chosen.
            if slot.date() > local.date() {
                let mut day = local.date().succ_opt().unwrap();
                while day < slot.date() {
                    prop_assert!(!w.is_business_day(day), "{day} skipped");
                    day = day.succ_opt().unwrap();
                }
            }
        }

        #[test]
        fn add_business_days_lands_on_business_days(w in arb_window(), local in arb_local(), n in 1u32..30) {
            let date = local.date();
            let later = w.add_business_days(date, n);
            prop_assert!(later > date);
            prop_assert!(w.is_business_day(later));
            prop_assert_eq!(w.add_business_days(w.add_business_days(date, 1), n - 1), later);
        }

        #[test]
        fn holidays_are_sorted_and_in_their_year(year in 1900i32..2300, cal in 0usize..4) {
            let list = holidays(HolidayCalendar::ALL[cal], year);
            prop_assert!(list.windows(2).all(|w| w[0].0 <= w[1].0));
            for (date, _) in list {
                prop_assert_eq!(date.year(), year);
                prop_assert!(is_holiday(HolidayCalendar::ALL[cal], date));
            }
        }
    }
}
