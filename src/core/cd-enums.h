/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-enums.h: the domain's enumerations.
 *
 * Registered with glib-mkenums (cd-enum-types.h); the GEnumValue nick of
 * each value is its spelling in JSON, in SQLite and on the wire, so never
 * rename a nick: add a new value instead.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  CD_UTILITY_HEAT,  /*< nick=heat >*/
  CD_UTILITY_POWER, /*< nick=power >*/
} CdUtility;

#define CD_N_UTILITIES 2

typedef enum {
  CD_CATEGORY_POWER_OUTAGE,     /*< nick=power-outage >*/
  CD_CATEGORY_LEAK,             /*< nick=leak >*/
  CD_CATEGORY_BURST_PIPE,       /*< nick=burst-pipe >*/
  CD_CATEGORY_NO_HEAT,          /*< nick=no-heat >*/
  CD_CATEGORY_NO_POWER,         /*< nick=no-power >*/
  CD_CATEGORY_LOW_TEMPERATURE,  /*< nick=low-temperature >*/
  CD_CATEGORY_VOLTAGE_QUALITY,  /*< nick=voltage-quality >*/
  CD_CATEGORY_METER,            /*< nick=meter >*/
  CD_CATEGORY_BILLING,          /*< nick=billing >*/
  CD_CATEGORY_INQUIRY,          /*< nick=inquiry >*/
  CD_CATEGORY_COMPLAINT,        /*< nick=complaint >*/
  CD_CATEGORY_NEW_CONNECTION,   /*< nick=new-connection >*/
} CdCategory;

#define CD_N_CATEGORIES 12

typedef enum {
  CD_URGENCY_NORMAL,    /*< nick=normal >*/
  CD_URGENCY_URGENT,    /*< nick=urgent >*/
  CD_URGENCY_EMERGENCY, /*< nick=emergency >*/
} CdUrgency;

#define CD_N_URGENCIES 3

typedef enum {
  CD_AREA_CLASS_URBAN,  /*< nick=urban >*/
  CD_AREA_CLASS_RURAL,  /*< nick=rural >*/
  CD_AREA_CLASS_REMOTE, /*< nick=remote >*/
} CdAreaClass;

#define CD_N_AREA_CLASSES 3

typedef enum {
  CD_CHANNEL_HOTLINE,         /*< nick=hotline >*/
  CD_CHANNEL_WEB,             /*< nick=web >*/
  CD_CHANNEL_MOBILE_APP,      /*< nick=mobile-app >*/
  CD_CHANNEL_MESSAGING,       /*< nick=messaging >*/
  CD_CHANNEL_COUNTER,         /*< nick=counter >*/
  CD_CHANNEL_METER_ALARM,     /*< nick=meter-alarm >*/
  CD_CHANNEL_NETWORK_MONITOR, /*< nick=network-monitor >*/
} CdChannel;

/* A ticket's life, in order. WAITING_CUSTOMER pauses the SLA timers. */
typedef enum {
  CD_TICKET_STATUS_NEW,              /*< nick=new >*/
  CD_TICKET_STATUS_ASSIGNED,         /*< nick=assigned >*/
  CD_TICKET_STATUS_CONTACTED,        /*< nick=contacted >*/
  CD_TICKET_STATUS_EN_ROUTE,         /*< nick=en-route >*/
  CD_TICKET_STATUS_ON_SITE,          /*< nick=on-site >*/
  CD_TICKET_STATUS_WAITING_CUSTOMER, /*< nick=waiting-customer >*/
  CD_TICKET_STATUS_RESOLVED,         /*< nick=resolved >*/
  CD_TICKET_STATUS_CLOSED,           /*< nick=closed >*/
  CD_TICKET_STATUS_CANCELLED,        /*< nick=cancelled >*/
  CD_TICKET_STATUS_DUPLICATE,        /*< nick=duplicate >*/
} CdTicketStatus;

typedef enum {
  CD_CREW_STATUS_AVAILABLE, /*< nick=available >*/
  CD_CREW_STATUS_EN_ROUTE,  /*< nick=en-route >*/
  CD_CREW_STATUS_ON_SITE,   /*< nick=on-site >*/
  CD_CREW_STATUS_BREAK,     /*< nick=break >*/
  CD_CREW_STATUS_OFF_SHIFT, /*< nick=off-shift >*/
} CdCrewStatus;

typedef enum {
  CD_ROLE_DISPATCHER,     /*< nick=dispatcher >*/
  CD_ROLE_SUPERVISOR,     /*< nick=supervisor >*/
  CD_ROLE_CALLBACK_AGENT, /*< nick=callback-agent >*/
  CD_ROLE_MANAGER,        /*< nick=manager >*/
  CD_ROLE_ADMIN,          /*< nick=admin >*/
  CD_ROLE_CREW_DEVICE,    /*< nick=crew-device >*/
} CdRole;

typedef enum {
  CD_ASSIGNMENT_SOURCE_NONE,   /*< nick=none >*/
  CD_ASSIGNMENT_SOURCE_AUTO,   /*< nick=auto >*/
  CD_ASSIGNMENT_SOURCE_MANUAL, /*< nick=manual >*/
} CdAssignmentSource;

typedef enum {
  CD_CALLBACK_OUTCOME_REACHED,      /*< nick=reached >*/
  CD_CALLBACK_OUTCOME_NO_ANSWER,    /*< nick=no-answer >*/
  CD_CALLBACK_OUTCOME_WRONG_NUMBER, /*< nick=wrong-number >*/
} CdCallbackOutcome;

typedef enum {
  CD_SATISFACTION_UNKNOWN,     /*< nick=unknown >*/
  CD_SATISFACTION_SATISFIED,   /*< nick=satisfied >*/
  CD_SATISFACTION_NEUTRAL,     /*< nick=neutral >*/
  CD_SATISFACTION_UNSATISFIED, /*< nick=unsatisfied >*/
} CdSatisfaction;

typedef enum {
  CD_CALLBACK_STATUS_PENDING,         /*< nick=pending >*/
  CD_CALLBACK_STATUS_DONE,            /*< nick=done >*/
  CD_CALLBACK_STATUS_UNREACHABLE,     /*< nick=unreachable >*/
  CD_CALLBACK_STATUS_SECOND_HANDLING, /*< nick=second-handling >*/
  CD_CALLBACK_STATUS_CLOSED,          /*< nick=closed >*/
} CdCallbackStatus;

/* The three running time limits of a ticket. */
typedef enum {
  CD_SLA_KIND_FIRST_RESPONSE, /*< nick=first-response >*/
  CD_SLA_KIND_ON_SITE,        /*< nick=on-site >*/
  CD_SLA_KIND_RESOLVED,       /*< nick=resolved >*/
} CdSlaKind;

#define CD_N_SLA_KINDS 3

typedef enum {
  CD_SLA_STATE_NONE,  /*< nick=none >*/
  CD_SLA_STATE_GREEN, /*< nick=green >*/
  CD_SLA_STATE_AMBER, /*< nick=amber >*/
  CD_SLA_STATE_RED,   /*< nick=red >*/
  CD_SLA_STATE_MET,   /*< nick=met >*/
} CdSlaState;

/* 24x7 or a business-hours calendar (working days, holidays). */
typedef enum {
  CD_CALENDAR_KIND_ALWAYS,         /*< nick=always >*/
  CD_CALENDAR_KIND_BUSINESS_HOURS, /*< nick=business-hours >*/
} CdCalendarKind;

G_END_DECLS
