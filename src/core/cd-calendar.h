/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-calendar.h: working time, for time limits that only run while the
 * office is open.
 *
 * A calendar is either 24x7 or business hours: working weekdays, one
 * opening window per working day in local time, holidays, and extra working
 * days (Chinese calendars move weekend days to working days around long
 * holidays). Times are Unix seconds (UTC); local time only decides which
 * seconds are working seconds.
 *
 * Configure a calendar fully before sharing it: the queries are safe from
 * several threads, the setters are not.
 */
#pragma once

#include <glib-object.h>

#include "cd-enums.h"

G_BEGIN_DECLS

/* Working weekdays: one bit per GDateWeekday. */
#define CD_WEEKDAY_BIT(weekday)      (1u << ((weekday) - 1))
#define CD_WEEKDAYS_MONDAY_TO_FRIDAY 0x1fu
#define CD_WEEKDAYS_ALL              0x7fu

#define CD_MINUTES_PER_DAY 1440

#define CD_TYPE_CALENDAR (cd_calendar_get_type ())
G_DECLARE_FINAL_TYPE (CdCalendar, cd_calendar, CD, CALENDAR, GObject)

CdCalendar     *cd_calendar_new_always            (void);
CdCalendar     *cd_calendar_new_business_hours    (GTimeZone    *time_zone,
                                                   guint         weekdays,
                                                   guint         open_minute,
                                                   guint         close_minute);

CdCalendarKind  cd_calendar_get_kind              (CdCalendar   *self);
GTimeZone      *cd_calendar_get_time_zone         (CdCalendar   *self);
guint           cd_calendar_get_weekdays          (CdCalendar   *self);
guint           cd_calendar_get_open_minute       (CdCalendar   *self);
guint           cd_calendar_get_close_minute      (CdCalendar   *self);
gint64          cd_calendar_get_day_minutes       (CdCalendar   *self);

void            cd_calendar_add_holiday           (CdCalendar   *self,
                                                   const GDate  *date);
void            cd_calendar_add_working_day       (CdCalendar   *self,
                                                   const GDate  *date);
gboolean        cd_calendar_is_working_day        (CdCalendar   *self,
                                                   const GDate  *date);
gboolean        cd_calendar_is_working_time       (CdCalendar   *self,
                                                   gint64        time);
gint64          cd_calendar_next_working_time     (CdCalendar   *self,
                                                   gint64        time);

gint64          cd_calendar_add_working_seconds   (CdCalendar   *self,
                                                   gint64        start,
                                                   gint64        seconds);
gint64          cd_calendar_add_working_minutes   (CdCalendar   *self,
                                                   gint64        start,
                                                   gint64        minutes);
gint64          cd_calendar_count_working_seconds (CdCalendar   *self,
                                                   gint64        from,
                                                   gint64        to);
gint64          cd_calendar_count_working_minutes (CdCalendar   *self,
                                                   gint64        from,
                                                   gint64        to);

G_END_DECLS
