/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-calendar.c: working time on a 24x7 or business-hours calendar.
 *
 * Business-hours arithmetic walks local days: each working day has one
 * window [open, close) converted to UTC through the calendar's time zone, so
 * daylight-saving days and fixed offsets both come out right without any
 * "minutes since epoch" shortcuts.
 */
#include "config.h"

#include "cd-calendar.h"

struct _CdCalendar
{
  GObject         parent_instance;

  CdCalendarKind  kind;
  GTimeZone      *time_zone;
  guint           weekdays;
  guint           open_minute;
  guint           close_minute;
  GHashTable     *overrides;  /* Julian day -> DayOverride */
};

G_DEFINE_FINAL_TYPE (CdCalendar, cd_calendar, G_TYPE_OBJECT)

typedef enum {
  DAY_DEFAULT,
  DAY_HOLIDAY,
  DAY_WORKING,
} DayOverride;

/* GDateTime covers years 1 to 9999; keeping times well inside that range
 * leaves room for the day walks to step past the last day. */
#define TIME_MIN G_GINT64_CONSTANT (0)
#define TIME_MAX G_GINT64_CONSTANT (32503680000) /* 3000-01-01 */

#define TIME_IS_VALID(t) ((t) >= TIME_MIN && (t) <= TIME_MAX)

static void
local_date (CdCalendar *self,
            gint64      time,
            GDate      *date)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time);
  g_autoptr(GDateTime) local = NULL;
  gint year, month, day;

  g_assert (utc != NULL);
  local = g_date_time_to_timezone (utc, self->time_zone);
  g_date_time_get_ymd (local, &year, &month, &day);
  g_date_clear (date, 1);
  g_date_set_dmy (date, (GDateDay) day, (GDateMonth) month, (GDateYear) year);
}

static gint64
local_minute_to_unix (CdCalendar  *self,
                      const GDate *day,
                      guint        minute)
{
  g_autoptr(GDateTime) dt = NULL;
  GDate d = *day;

  /* A window may close at 24:00, which GDateTime spells as the next day's
   * midnight. */
  if (minute >= CD_MINUTES_PER_DAY)
    {
      g_date_add_days (&d, 1);
      minute -= CD_MINUTES_PER_DAY;
    }

  dt = g_date_time_new (self->time_zone,
                        g_date_get_year (&d), g_date_get_month (&d), g_date_get_day (&d),
                        minute / 60, minute % 60, 0);
  g_assert (dt != NULL);

  return g_date_time_to_unix (dt);
}

static DayOverride
day_override (CdCalendar  *self,
              const GDate *date)
{
  GDate d = *date;

  return GPOINTER_TO_UINT (g_hash_table_lookup (self->overrides,
                                                GUINT_TO_POINTER (g_date_get_julian (&d))));
}

static gboolean
working_day (CdCalendar  *self,
             const GDate *date)
{
  GDate d = *date;

  switch (day_override (self, date))
    {
    case DAY_HOLIDAY:
      return FALSE;
    case DAY_WORKING:
      return TRUE;
    case DAY_DEFAULT:
    default:
      return (self->weekdays & CD_WEEKDAY_BIT (g_date_get_weekday (&d))) != 0;
    }
}

/* The working window of @day in UTC, or FALSE on a day off. */
static gboolean
day_window (CdCalendar  *self,
            const GDate *day,
            gint64      *start,
            gint64      *end)
{
  if (!working_day (self, day))
    return FALSE;

  *start = local_minute_to_unix (self, day, self->open_minute);
  *end = local_minute_to_unix (self, day, self->close_minute);

  return *start < *end;
}

static void
set_override (CdCalendar  *self,
              const GDate *date,
              DayOverride  what)
{
  GDate d = *date;

  /* The last call wins, so a day is never both a holiday and a working day. */
  g_hash_table_insert (self->overrides,
                       GUINT_TO_POINTER (g_date_get_julian (&d)),
                       GUINT_TO_POINTER (what));
}

static void
cd_calendar_finalize (GObject *object)
{
  CdCalendar *self = CD_CALENDAR (object);

  g_clear_pointer (&self->time_zone, g_time_zone_unref);
  g_clear_pointer (&self->overrides, g_hash_table_unref);

  G_OBJECT_CLASS (cd_calendar_parent_class)->finalize (object);
}

static void
cd_calendar_class_init (CdCalendarClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = cd_calendar_finalize;
}

static void
cd_calendar_init (CdCalendar *self)
{
  self->kind = CD_CALENDAR_KIND_ALWAYS;
  self->time_zone = g_time_zone_new_utc ();
  self->weekdays = CD_WEEKDAYS_ALL;
  self->open_minute = 0;
  self->close_minute = CD_MINUTES_PER_DAY;
  self->overrides = g_hash_table_new (NULL, NULL);
}

/**
 * cd_calendar_new_always:
 *
 * Returns: (transfer full): a 24x7 calendar: every second is working time.
 */
CdCalendar *
cd_calendar_new_always (void)
{
  return g_object_new (CD_TYPE_CALENDAR, NULL);
}

/**
 * cd_calendar_new_business_hours:
 * @time_zone: the local time of the opening hours, e.g. from
 *   g_time_zone_new_identifier ("+08:00")
 * @weekdays: the working weekdays, a mask of CD_WEEKDAY_BIT()s, not empty
 * @open_minute: opening time in minutes after local midnight
 * @close_minute: closing time, after @open_minute, at most 24:00 (1440)
 *
 * Returns: (transfer full): a business-hours calendar without holidays.
 */
CdCalendar *
cd_calendar_new_business_hours (GTimeZone *time_zone,
                                guint      weekdays,
                                guint      open_minute,
                                guint      close_minute)
{
  CdCalendar *self;

  g_return_val_if_fail (time_zone != NULL, NULL);
  g_return_val_if_fail (weekdays != 0 && (weekdays & ~CD_WEEKDAYS_ALL) == 0, NULL);
  g_return_val_if_fail (open_minute < close_minute, NULL);
  g_return_val_if_fail (close_minute <= CD_MINUTES_PER_DAY, NULL);

  self = g_object_new (CD_TYPE_CALENDAR, NULL);
  self->kind = CD_CALENDAR_KIND_BUSINESS_HOURS;
  g_time_zone_unref (self->time_zone);
  self->time_zone = g_time_zone_ref (time_zone);
  self->weekdays = weekdays;
  self->open_minute = open_minute;
  self->close_minute = close_minute;

  return self;
}

CdCalendarKind
cd_calendar_get_kind (CdCalendar *self)
{
  g_return_val_if_fail (CD_IS_CALENDAR (self), CD_CALENDAR_KIND_ALWAYS);

  return self->kind;
}

/**
 * cd_calendar_get_time_zone:
 *
 * Returns: (transfer none): the time zone of the opening hours (UTC for a
 *   24x7 calendar)
 */
GTimeZone *
cd_calendar_get_time_zone (CdCalendar *self)
{
  g_return_val_if_fail (CD_IS_CALENDAR (self), NULL);

  return self->time_zone;
}

guint
cd_calendar_get_weekdays (CdCalendar *self)
{
  g_return_val_if_fail (CD_IS_CALENDAR (self), 0);

  return self->weekdays;
}

guint
cd_calendar_get_open_minute (CdCalendar *self)
{
  g_return_val_if_fail (CD_IS_CALENDAR (self), 0);

  return self->open_minute;
}

guint
cd_calendar_get_close_minute (CdCalendar *self)
{
  g_return_val_if_fail (CD_IS_CALENDAR (self), 0);

  return self->close_minute;
}

/**
 * cd_calendar_get_day_minutes:
 *
 * Returns: the working minutes of one full working day: 1440 on a 24x7
 *   calendar, close minus open on business hours. Policies express
 *   "N working days" as N times this.
 */
gint64
cd_calendar_get_day_minutes (CdCalendar *self)
{
  g_return_val_if_fail (CD_IS_CALENDAR (self), 0);

  return (gint64) self->close_minute - (gint64) self->open_minute;
}

/**
 * cd_calendar_add_holiday:
 * @date: a local date that is not worked, whatever its weekday
 *
 * Overrides an earlier cd_calendar_add_working_day() for the same date.
 */
void
cd_calendar_add_holiday (CdCalendar  *self,
                         const GDate *date)
{
  g_return_if_fail (CD_IS_CALENDAR (self));
  g_return_if_fail (self->kind == CD_CALENDAR_KIND_BUSINESS_HOURS);
  g_return_if_fail (date != NULL && g_date_valid (date));

  set_override (self, date, DAY_HOLIDAY);
}

/**
 * cd_calendar_add_working_day:
 * @date: a local date that is worked, whatever its weekday (a weekend day
 *   moved to make up for a holiday)
 *
 * Overrides an earlier cd_calendar_add_holiday() for the same date.
 */
void
cd_calendar_add_working_day (CdCalendar  *self,
                             const GDate *date)
{
  g_return_if_fail (CD_IS_CALENDAR (self));
  g_return_if_fail (self->kind == CD_CALENDAR_KIND_BUSINESS_HOURS);
  g_return_if_fail (date != NULL && g_date_valid (date));

  set_override (self, date, DAY_WORKING);
}

gboolean
cd_calendar_is_working_day (CdCalendar  *self,
                            const GDate *date)
{
  g_return_val_if_fail (CD_IS_CALENDAR (self), FALSE);
  g_return_val_if_fail (date != NULL && g_date_valid (date), FALSE);

  if (self->kind == CD_CALENDAR_KIND_ALWAYS)
    return TRUE;

  return working_day (self, date);
}

gboolean
cd_calendar_is_working_time (CdCalendar *self,
                             gint64      time)
{
  GDate day;
  gint64 start, end;

  g_return_val_if_fail (CD_IS_CALENDAR (self), FALSE);
  g_return_val_if_fail (TIME_IS_VALID (time), FALSE);

  if (self->kind == CD_CALENDAR_KIND_ALWAYS)
    return TRUE;

  local_date (self, time, &day);

  return day_window (self, &day, &start, &end) && start <= time && time < end;
}

/**
 * cd_calendar_next_working_time:
 *
 * Returns: @time when it is working time, else the next opening: where a
 *   clock started at @time begins to count.
 */
gint64
cd_calendar_next_working_time (CdCalendar *self,
                               gint64      time)
{
  GDate day;

  g_return_val_if_fail (CD_IS_CALENDAR (self), time);
  g_return_val_if_fail (TIME_IS_VALID (time), time);

  if (self->kind == CD_CALENDAR_KIND_ALWAYS)
    return time;

  local_date (self, time, &day);
  for (;;)
    {
      gint64 start, end;

      if (day_window (self, &day, &start, &end) && time < end)
        return MAX (start, time);

      g_date_add_days (&day, 1);
    }
}

/**
 * cd_calendar_add_working_seconds:
 * @start: where counting starts; outside working time it starts at the
 *   next opening
 * @seconds: working seconds to add, not negative
 *
 * Returns: the moment the @seconds-th working second after @start ends. A
 *   deadline that uses up a day exactly is that day's closing time, not the
 *   next opening. Adding 0 returns @start unchanged.
 */
gint64
cd_calendar_add_working_seconds (CdCalendar *self,
                                 gint64      start,
                                 gint64      seconds)
{
  GDate day;
  gint64 remaining = seconds;

  g_return_val_if_fail (CD_IS_CALENDAR (self), start);
  g_return_val_if_fail (TIME_IS_VALID (start), start);
  g_return_val_if_fail (seconds >= 0 && seconds <= TIME_MAX - start, start);

  if (self->kind == CD_CALENDAR_KIND_ALWAYS || seconds == 0)
    return start + seconds;

  /* Windows never cross local midnight, so the walk can start on the local
   * date of @start. Every week has a working weekday and holidays are
   * finite, so it ends. */
  local_date (self, start, &day);
  for (;;)
    {
      gint64 open, close;

      if (day_window (self, &day, &open, &close))
        {
          gint64 from = MAX (open, start);

          if (from < close)
            {
              if (remaining <= close - from)
                return from + remaining;
              remaining -= close - from;
            }
        }

      g_date_add_days (&day, 1);
    }
}

gint64
cd_calendar_add_working_minutes (CdCalendar *self,
                                 gint64      start,
                                 gint64      minutes)
{
  g_return_val_if_fail (minutes >= 0 && minutes <= TIME_MAX / 60, start);

  return cd_calendar_add_working_seconds (self, start, minutes * 60);
}

/**
 * cd_calendar_count_working_seconds:
 *
 * Returns: the working seconds in [@from, @to); 0 when @to is not after
 *   @from.
 */
gint64
cd_calendar_count_working_seconds (CdCalendar *self,
                                   gint64      from,
                                   gint64      to)
{
  GDate day, last;
  gint64 total = 0;

  g_return_val_if_fail (CD_IS_CALENDAR (self), 0);
  g_return_val_if_fail (TIME_IS_VALID (from), 0);
  g_return_val_if_fail (TIME_IS_VALID (to), 0);

  if (to <= from)
    return 0;

  if (self->kind == CD_CALENDAR_KIND_ALWAYS)
    return to - from;

  local_date (self, from, &day);
  local_date (self, to, &last);
  while (g_date_compare (&day, &last) <= 0)
    {
      gint64 open, close;

      if (day_window (self, &day, &open, &close))
        total += MAX (0, MIN (close, to) - MAX (open, from));

      g_date_add_days (&day, 1);
    }

  return total;
}

/**
 * cd_calendar_count_working_minutes:
 *
 * Returns: the whole working minutes in [@from, @to), rounded down.
 */
gint64
cd_calendar_count_working_minutes (CdCalendar *self,
                                   gint64      from,
                                   gint64      to)
{
  return cd_calendar_count_working_seconds (self, from, to) / 60;
}
