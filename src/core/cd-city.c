/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cd-city.c: builds the demo city.
 *
 * The city is laid out in metres on a local plane (x east, y north, origin
 * at the centre) and converted to degrees at the end; over 12 km the plane
 * and the sphere differ by less than 0.1%.
 *
 * The street graph is not written by hand: roads are drawn as polylines
 * (grid lines, avenues, a ring, embankments, village lanes), cut where they
 * would run through the river or a park, and then split at every crossing.
 * Road ends that stop just short of another road are snapped onto it, near
 * crossings closer than MERGE_M become one junction, stubs left by road ends
 * that overshoot a crossing are trimmed, and only the largest connected part
 * is kept, so that every junction can reach every other.
 *
 * Nothing here is random: the same build gives the same city, down to the
 * last bit, which the server's seeding, the simulator and the tiles rely on.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "cd-city.h"

#define CITY_NAME      "Lanhe"
#define RIVER_NAME     "Lan River"
#define CENTER_LAT     39.90
#define CENTER_LON     116.60
#define HALF_W         6000.0
#define HALF_H         5000.0
#define EARTH_RADIUS_M 6371008.8

/* District borders, in metres from the centre. They run between grid
 * lines, so no street lies on a border. */
#define X_WEST   -3125.0
#define X_EAST    3125.0
#define Y_SOUTH  -2625.0
#define Y_MID      125.0
#define Y_NORTH   2625.0

#define GRID              250.0  /* the centre's block */
#define CORE_W           3000.0  /* the grid spans ±CORE_W × ±CORE_H */
#define CORE_H           2500.0
#define RIVER_MARGIN       75.0  /* roads other than bridges keep this far from the water */
#define EMBANKMENT_OFFSET  60.0
#define SNAP_M             30.0  /* a road end this close to another road joins it */
#define MERGE_M             6.0  /* crossings this close are one junction */
#define STUB_M             25.0  /* dead ends shorter than this are trimmed */
#define CLIP_STEP_M        10.0

#define ROAD_BRIDGE    (1u << 0) /* may cross the river */
#define ROAD_RIVERSIDE (1u << 1) /* runs along the river: not clipped by it */

typedef struct {
  double x, y;
} Vec;

typedef struct {
  char              *name;
  CdCityStreetClass  klass;
  double             speed;
  guint              flags;
  double             offset0;  /* metres along the named road at pts[0] */
  GArray            *pts;      /* Vec */
} Road;

typedef struct {
  guint  seg;
  double t;
  Vec    p;
  guint  node;
} Cut;

/* A stretch of a road left after clipping. */
typedef struct {
  guint   road;
  GArray *pts;   /* Vec */
  GArray *offs;  /* double: metres along the named road */
  GArray *cuts;  /* Cut */
  double  min_x, min_y, max_x, max_y;
} Piece;

typedef struct {
  guint   from, to;
  guint   road;
  double  offset;
  GArray *pts;   /* Vec */
  gboolean dead;
} BEdge;

typedef struct {
  GArray     *roads;     /* Road */
  GPtrArray  *pieces;    /* Piece */
  GPtrArray  *parks;     /* GArray of Vec */
  GArray     *nodes;     /* Vec */
  GArray     *edges;     /* BEdge */
  GHashTable *names;     /* names handed out */
  guint       next_stem;
} Builder;

typedef struct {
  GArray *streets;       /* guint: street indices with houses */
  GArray *cumulative;    /* double: total length up to and including each */
} AddressPool;

struct _CdCity
{
  GStringChunk *strings;
  double        south, west, north, east;

  GArray       *districts;    /* CdCityDistrict */
  const char  **district_ids;
  GArray       *nodes;        /* CdCityNode */
  GArray       *node_xy;      /* Vec */
  GArray       *streets;      /* CdCityStreet */
  GPtrArray    *street_xy;    /* GArray of Vec, per street */
  GPtrArray    *street_cum;   /* GArray of double: metres along the street per point */
  guint        *adj_start;    /* n_nodes + 1 */
  guint        *adj;          /* street indices */
  double        max_speed_ms;

  CdCityRiver   river;
  GArray       *parks;        /* CdCityArea */
  GArray       *landmarks;    /* CdCityLandmark */

  AddressPool  *pools;        /* one per district, then one for the whole city */
};

static const char * const stems[] = {
  "Heping", "Jiefang", "Renmin", "Zhongshan", "Xinhua", "Wenhua", "Jianshe", "Chaoyang",
  "Dongfeng", "Yingbin", "Changjiang", "Huanghe", "Taishan", "Kunlun", "Tianshan", "Qilian",
  "Lushan", "Hengshan", "Songshan", "Emei", "Wutai", "Yandang", "Qinling", "Taihang",
  "Xiangyang", "Guangming", "Xingfu", "Minzhu", "Fuqiang", "Hexie", "Jinxiu", "Tongxin",
  "Minsheng", "Xinmin", "Gongnong", "Shengli", "Yongan", "Changan", "Pingan", "Jixiang",
  "Ruyi", "Fuxing", "Huaxing", "Xingye", "Huimin", "Anle", "Kangle", "Dexin",
  "Yucai", "Bowen", "Shuyuan", "Wenchang", "Kuixing", "Jinshi", "Yinhe", "Xinglong",
  "Baita", "Gulou", "Zhonglou", "Chenghuang", "Fuqian", "Xuefu", "Gongyuan", "Huayuan",
  "Liushu", "Taohua", "Lihua", "Meilin", "Zhuyuan", "Songbai", "Yangliu", "Hehua",
  "Lianhua", "Mudan", "Juhua", "Lanhua", "Guihua", "Yulan", "Haitang", "Ziteng",
  "Fengshu", "Wutong", "Yinxing", "Huaishu", "Qingshi", "Shuangjing", "Sanli", "Wuli",
};

/* Geometry ------------------------------------------------------------------ */

static double
m_per_deg_lat (void)
{
  return EARTH_RADIUS_M * G_PI / 180.0;
}

static double
m_per_deg_lon (void)
{
  return m_per_deg_lat () * cos (CENTER_LAT * G_PI / 180.0);
}

static CdCityPoint
vec_to_point (Vec v)
{
  CdCityPoint p = { CENTER_LAT + v.y / m_per_deg_lat (), CENTER_LON + v.x / m_per_deg_lon () };

  return p;
}

static Vec
point_to_vec (double lat,
              double lon)
{
  Vec v = { (lon - CENTER_LON) * m_per_deg_lon (), (lat - CENTER_LAT) * m_per_deg_lat () };

  return v;
}

static Vec
vec (double x,
     double y)
{
  Vec v = { x, y };

  return v;
}

static double
vec_dist (Vec a,
          Vec b)
{
  return hypot (a.x - b.x, a.y - b.y);
}

static Vec
vec_lerp (Vec    a,
          Vec    b,
          double t)
{
  return vec (a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t);
}

static double
cross (Vec a,
       Vec b)
{
  return a.x * b.y - a.y * b.x;
}

/* The nearest point to @p on segment a-b, as a fraction along it. */
static double
segment_project (Vec a,
                 Vec b,
                 Vec p)
{
  double dx = b.x - a.x, dy = b.y - a.y;
  double len2 = dx * dx + dy * dy;

  if (len2 <= 0)
    return 0;

  return CLAMP (((p.x - a.x) * dx + (p.y - a.y) * dy) / len2, 0.0, 1.0);
}

/* Where segments a-b and c-d meet, with a little slack at the ends so that
 * a road ending exactly on another counts. */
static gboolean
segment_intersect (Vec     a,
                   Vec     b,
                   Vec     c,
                   Vec     d,
                   double *t,
                   double *u)
{
  const double eps = 1e-7;
  Vec r = vec (b.x - a.x, b.y - a.y);
  Vec s = vec (d.x - c.x, d.y - c.y);
  Vec ca = vec (c.x - a.x, c.y - a.y);
  double denom = cross (r, s);

  if (fabs (denom) < 1e-9 * (hypot (r.x, r.y) * hypot (s.x, s.y)) || denom == 0)
    return FALSE;

  *t = cross (ca, s) / denom;
  *u = cross (ca, r) / denom;
  if (*t < -eps || *t > 1 + eps || *u < -eps || *u > 1 + eps)
    return FALSE;

  *t = CLAMP (*t, 0.0, 1.0);
  *u = CLAMP (*u, 0.0, 1.0);
  return TRUE;
}

static gboolean
polygon_contains_vec (GArray *polygon,
                      Vec     p)
{
  gboolean inside = FALSE;

  for (guint i = 0, j = polygon->len - 1; i < polygon->len; j = i++)
    {
      Vec a = g_array_index (polygon, Vec, i);
      Vec b = g_array_index (polygon, Vec, j);

      if ((a.y > p.y) != (b.y > p.y) &&
          p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x)
        inside = !inside;
    }

  return inside;
}

double
cd_city_distance_m (double lat1,
                    double lon1,
                    double lat2,
                    double lon2)
{
  double p1 = lat1 * G_PI / 180.0, p2 = lat2 * G_PI / 180.0;
  double dp = p2 - p1, dl = (lon2 - lon1) * G_PI / 180.0;
  double h = sin (dp / 2) * sin (dp / 2) + cos (p1) * cos (p2) * sin (dl / 2) * sin (dl / 2);

  return 2.0 * EARTH_RADIUS_M * asin (MIN (sqrt (h), 1.0));
}

static double
point_dist (CdCityPoint a,
            CdCityPoint b)
{
  return cd_city_distance_m (a.lat, a.lon, b.lat, b.lon);
}

/* Initial bearing from a to b, degrees clockwise from north, in [0, 360). */
static double
bearing (CdCityPoint a,
         CdCityPoint b)
{
  double p1 = a.lat * G_PI / 180.0, p2 = b.lat * G_PI / 180.0;
  double dl = (b.lon - a.lon) * G_PI / 180.0;
  double y = sin (dl) * cos (p2);
  double x = cos (p1) * sin (p2) - sin (p1) * cos (p2) * cos (dl);
  double deg = atan2 (y, x) * 180.0 / G_PI;

  if (deg < 0)
    deg += 360.0;
  return deg >= 360.0 ? 0.0 : deg;
}

gboolean
cd_city_polygon_contains (const GArray *polygon,
                          double        lat,
                          double        lon)
{
  gboolean inside = FALSE;

  g_return_val_if_fail (polygon != NULL, FALSE);

  for (guint i = 0, j = polygon->len - 1; i < polygon->len; j = i++)
    {
      CdCityPoint a = g_array_index (polygon, CdCityPoint, i);
      CdCityPoint b = g_array_index (polygon, CdCityPoint, j);

      if ((a.lat > lat) != (b.lat > lat) &&
          lon < (b.lon - a.lon) * (lat - a.lat) / (b.lat - a.lat) + a.lon)
        inside = !inside;
    }

  return inside;
}

double
cd_city_polyline_length (const GArray *polyline)
{
  double length = 0;

  g_return_val_if_fail (polyline != NULL, 0);

  for (guint i = 1; i < polyline->len; i++)
    length += point_dist (g_array_index (polyline, CdCityPoint, i - 1),
                          g_array_index (polyline, CdCityPoint, i));
  return length;
}

gboolean
cd_city_point_along (const GArray *polyline,
                     double        distance_m,
                     double       *lat,
                     double       *lon,
                     double       *heading)
{
  CdCityPoint p = { 0, 0 };
  double h = 0, walked = 0;
  gboolean within = FALSE;

  g_return_val_if_fail (polyline != NULL && polyline->len > 0, FALSE);

  p = g_array_index (polyline, CdCityPoint, 0);
  if (polyline->len >= 2)
    h = bearing (p, g_array_index (polyline, CdCityPoint, 1));

  if (distance_m >= 0)
    {
      for (guint i = 1; i < polyline->len; i++)
        {
          CdCityPoint a = g_array_index (polyline, CdCityPoint, i - 1);
          CdCityPoint b = g_array_index (polyline, CdCityPoint, i);
          double len = point_dist (a, b);

          if (len <= 0)
            continue;
          h = bearing (a, b);
          if (walked + len > distance_m)
            {
              double t = (distance_m - walked) / len;

              p.lat = a.lat + (b.lat - a.lat) * t;
              p.lon = a.lon + (b.lon - a.lon) * t;
              within = TRUE;
              break;
            }
          walked += len;
          p = b;
        }
    }

  if (lat)
    *lat = p.lat;
  if (lon)
    *lon = p.lon;
  if (heading)
    *heading = h;
  return within;
}

const char *
cd_city_street_class_to_string (CdCityStreetClass street_class)
{
  switch (street_class)
    {
    case CD_CITY_STREET_ARTERIAL:
      return "arterial";
    case CD_CITY_STREET_STREET:
      return "street";
    case CD_CITY_STREET_LANE:
      return "lane";
    default:
      return "unknown";
    }
}

/* The demo's people and jobs ------------------------------------------------ */

/* Data, not interface text: never translated. */
static const char * const surnames[] = {
  "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu",
  "Xu", "Sun", "Hu", "Zhu", "Gao", "Lin", "He", "Guo", "Ma", "Luo",
  "Liang", "Song", "Zheng", "Xie", "Han", "Tang", "Feng", "Yu", "Dong", "Xiao",
};

static const char * const given_names[] = {
  "Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang",
  "Yong", "Yan", "Jie", "Juan", "Tao", "Ming", "Chao", "Xiuying", "Xia", "Ping",
  "Gang", "Hui", "Hua", "Bo", "Ning", "Lin", "Dan", "Peng", "Hao", "Yun",
  "Xin", "Yu", "Kai", "Rui", "Guiying", "Shu", "Lan", "Zhiqiang", "Haiyan", "Jianguo",
};

static const char * const *descriptions[CD_N_CATEGORIES] = {
  [CD_CATEGORY_POWER_OUTAGE] = (const char * const[]) {
    "Whole street dark, neighbours too", "Power out in the building since the storm",
    "Loud bang from the transformer box, then the lights went out", "Outage alarm from the feeder monitor",
    "Half the block has no power, traffic lights out", NULL },
  [CD_CATEGORY_LEAK] = (const char * const[]) {
    "Heating pipe dripping in the stairwell", "Water leaking under the kitchen radiator",
    "Hot water seeping from the manhole cover in front of the building", "Damp patch spreading on the ceiling below the riser", NULL },
  [CD_CATEGORY_BURST_PIPE] = (const char * const[]) {
    "Burst heating main, steam rising from the road", "Pipe burst in the basement, water rising fast",
    "Hot water gushing from the pavement", NULL },
  [CD_CATEGORY_NO_HEAT] = (const char * const[]) {
    "Radiators cold in the whole flat since this morning", "No heating in the building, elderly residents",
    "Heating stopped after the pressure drop last night", NULL },
  [CD_CATEGORY_NO_POWER] = (const char * const[]) {
    "No power in the flat, neighbours have power", "Breaker keeps tripping, no power in the kitchen",
    "Prepaid meter shows credit but no power", NULL },
  [CD_CATEGORY_LOW_TEMPERATURE] = (const char * const[]) {
    "Living room only 14 °C", "Radiators lukewarm, bedroom 15 °C", "Top-floor flat stays below 16 °C", NULL },
  [CD_CATEGORY_VOLTAGE_QUALITY] = (const char * const[]) {
    "Lights flicker every evening", "Voltage low, air conditioner will not start",
    "Appliances buzzing, voltage jumps", NULL },
  [CD_CATEGORY_METER] = (const char * const[]) {
    "Meter display blank", "Smart meter alarm: reverse flow", "Meter reading looks far too high",
    "Meter seal broken", NULL },
  [CD_CATEGORY_BILLING] = (const char * const[]) {
    "Bill twice as high as last month", "Payment made but the account still shows arrears",
    "Charged for the heating season twice", NULL },
  [CD_CATEGORY_INQUIRY] = (const char * const[]) {
    "When does the heating season start?", "How do I switch to a prepaid meter?",
    "Planned outage dates for our street?", NULL },
  [CD_CATEGORY_COMPLAINT] = (const char * const[]) {
    "Repair crew came two hours late", "Nobody called back after the outage",
    "Crew left the pavement dug up", NULL },
  [CD_CATEGORY_NEW_CONNECTION] = (const char * const[]) {
    "New shop needs a three-phase connection", "Capacity increase for a heat pump",
    "New building to be connected to district heating", NULL },
};

char *
cd_city_random_person (GRand *rand)
{
  g_return_val_if_fail (rand != NULL, NULL);

  return g_strdup_printf ("%s %s",
                          surnames[g_rand_int_range (rand, 0, G_N_ELEMENTS (surnames))],
                          given_names[g_rand_int_range (rand, 0, G_N_ELEMENTS (given_names))]);
}

const char *
cd_city_random_description (CdCategory  category,
                            GRand      *rand)
{
  const char * const *texts;
  guint n = 0;

  g_return_val_if_fail (rand != NULL, NULL);
  g_return_val_if_fail ((guint) category < CD_N_CATEGORIES, NULL);

  texts = descriptions[category];
  while (texts[n] != NULL)
    n++;
  return texts[g_rand_int_range (rand, 0, n)];
}

char **
cd_city_job_skills (CdCategory  category,
                    CdUtility   utility,
                    CdUrgency   urgency,
                    GRand      *rand)
{
  GStrvBuilder *b;
  char **skills;

  g_return_val_if_fail (rand != NULL, NULL);

  b = g_strv_builder_new ();
  switch (category)
    {
    case CD_CATEGORY_POWER_OUTAGE:
      g_strv_builder_add (b, urgency == CD_URGENCY_EMERGENCY ? "hv-switching" : "lv-repair");
      if (g_rand_double (rand) < 0.3)
        g_strv_builder_add (b, "cable-fault");
      break;
    case CD_CATEGORY_NO_POWER:
    case CD_CATEGORY_VOLTAGE_QUALITY:
      g_strv_builder_add (b, "lv-repair");
      break;
    case CD_CATEGORY_LEAK:
      g_strv_builder_add (b, "pipe-repair");
      break;
    case CD_CATEGORY_BURST_PIPE:
      g_strv_builder_add (b, "pipe-repair");
      g_strv_builder_add (b, "welding");
      break;
    case CD_CATEGORY_NO_HEAT:
      g_strv_builder_add (b, g_rand_double (rand) < 0.5 ? "substation" : "radiator");
      break;
    case CD_CATEGORY_LOW_TEMPERATURE:
      g_strv_builder_add (b, "radiator");
      break;
    case CD_CATEGORY_METER:
      g_strv_builder_add (b, utility == CD_UTILITY_POWER ? "meter" : "heat-meter");
      break;
    case CD_CATEGORY_NEW_CONNECTION:
      g_strv_builder_add (b, utility == CD_UTILITY_POWER ? "lv-repair" : "pipe-repair");
      break;
    case CD_CATEGORY_BILLING:
    case CD_CATEGORY_INQUIRY:
    case CD_CATEGORY_COMPLAINT:
    default:
      break;
    }

  skills = g_strv_builder_end (b);
  g_strv_builder_unref (b);
  if (skills[0] == NULL)
    g_clear_pointer (&skills, g_strfreev);
  return skills;
}

char **
cd_city_category_skills (CdCategory category,
                         CdUtility  utility,
                         CdUrgency  urgency)
{
  const char *first = NULL;
  const char *second = NULL;

  switch (category)
    {
    case CD_CATEGORY_POWER_OUTAGE:
      first = urgency == CD_URGENCY_EMERGENCY ? "hv-switching" : "lv-repair";
      break;
    case CD_CATEGORY_NO_POWER:
    case CD_CATEGORY_VOLTAGE_QUALITY:
      first = "lv-repair";
      break;
    case CD_CATEGORY_LEAK:
      first = "pipe-repair";
      break;
    case CD_CATEGORY_BURST_PIPE:
      first = "pipe-repair";
      second = "welding";
      break;
    case CD_CATEGORY_NO_HEAT:
    case CD_CATEGORY_LOW_TEMPERATURE:
      first = "radiator";
      break;
    case CD_CATEGORY_METER:
      first = utility == CD_UTILITY_POWER ? "meter" : "heat-meter";
      break;
    case CD_CATEGORY_NEW_CONNECTION:
      first = utility == CD_UTILITY_POWER ? "lv-repair" : "pipe-repair";
      break;
    case CD_CATEGORY_BILLING:
    case CD_CATEGORY_INQUIRY:
    case CD_CATEGORY_COMPLAINT:
    default:
      return NULL;
    }

  {
    char **skills = g_new0 (char *, 3);

    skills[0] = g_strdup (first);
    skills[1] = g_strdup (second);
    return skills;
  }
}

/* The river ------------------------------------------------------------------ */

/* The Lan River flows from north to south; x of its middle at height y. */
static double
river_x (double y)
{
  return 380.0 * sin (y / 1500.0) + 140.0 * sin (y / 610.0 + 1.0) + 0.09 * y;
}

static double
river_half_width (double y)
{
  return 110.0 + 25.0 * sin (y / 900.0);
}

static gboolean
in_river (Vec    p,
          double margin)
{
  return fabs (p.x - river_x (p.y)) < river_half_width (p.y) + margin;
}

/* Building: roads ------------------------------------------------------------ */

static GArray *
vec_array_new (void)
{
  return g_array_new (FALSE, FALSE, sizeof (Vec));
}

static void
vec_array_add (GArray *array,
               double  x,
               double  y)
{
  Vec v = { x, y };

  g_array_append_val (array, v);
}

/* A straight line, split every @step metres (0: not at all). */
static GArray *
line_new (double x0,
          double y0,
          double x1,
          double y1,
          double step)
{
  GArray *pts = vec_array_new ();
  double len = hypot (x1 - x0, y1 - y0);
  guint n = step > 0 ? MAX (1, (guint) ceil (len / step)) : 1;

  for (guint i = 0; i <= n; i++)
    vec_array_add (pts, x0 + (x1 - x0) * i / n, y0 + (y1 - y0) * i / n);
  return pts;
}

/* A country road through control points, swinging from side to side by up
 * to @amplitude metres, but passing each control point exactly. */
static GArray *
winding_new (const Vec *ctrl,
             guint      n_ctrl,
             double     amplitude,
             double     wavelength)
{
  GArray *pts = vec_array_new ();
  double along = 0;

  g_array_append_val (pts, ctrl[0]);
  for (guint i = 0; i + 1 < n_ctrl; i++)
    {
      Vec a = ctrl[i], b = ctrl[i + 1];
      double len = vec_dist (a, b);
      guint n = MAX (1, (guint) ceil (len / 50.0));
      double nx = -(b.y - a.y) / len, ny = (b.x - a.x) / len;

      for (guint k = 1; k <= n; k++)
        {
          double t = (double) k / n;
          double s = t * len;
          double envelope = MIN (1.0, MIN (s, len - s) / 300.0);
          double off = amplitude * envelope * sin (2 * G_PI * (along + s) / wavelength);
          Vec p = vec_lerp (a, b, t);

          vec_array_add (pts, p.x + nx * off, p.y + ny * off);
        }
      along += len;
    }

  return pts;
}

static GArray *
ellipse_new (double cx,
             double cy,
             double rx,
             double ry,
             double wobble,
             guint  n)
{
  GArray *pts = vec_array_new ();

  for (guint i = 0; i < n; i++)
    {
      double a = 2 * G_PI * i / n;
      double k = 1.0 + wobble * sin (3 * a + 0.7);

      vec_array_add (pts, cx + rx * k * cos (a), cy + ry * k * sin (a));
    }
  return pts;
}

static double
polyline_metres (GArray *pts)
{
  double len = 0;

  for (guint i = 1; i < pts->len; i++)
    len += vec_dist (g_array_index (pts, Vec, i - 1), g_array_index (pts, Vec, i));
  return len;
}

/* The next unused name with @suffix: "Heping Road". */
static char *
next_name (Builder    *b,
           const char *suffix)
{
  for (guint tries = 0; tries < G_N_ELEMENTS (stems) * 2; tries++)
    {
      g_autofree char *name = g_strdup_printf ("%s %s", stems[b->next_stem % G_N_ELEMENTS (stems)], suffix);

      b->next_stem++;
      if (!g_hash_table_contains (b->names, name))
        {
          g_hash_table_add (b->names, g_strdup (name));
          return g_steal_pointer (&name);
        }
    }

  g_assert_not_reached ();
}

static void
add_road (Builder           *b,
          const char        *name,
          CdCityStreetClass  klass,
          double             speed,
          guint              flags,
          double             offset0,
          GArray            *pts)
{
  Road road = { g_strdup (name), klass, speed, flags, offset0, pts };

  g_hash_table_add (b->names, g_strdup (name));
  g_array_append_val (b->roads, road);
}

/* A north-south or east-west road of the centre's grid, with its rural
 * extensions, which are separate roads of the same name and numbering. */
static void
add_grid_road (Builder   *b,
               gboolean   vertical,
               double     at,
               gboolean   arterial,
               gboolean   extend_low,
               gboolean   extend_high)
{
  g_autofree char *name = next_name (b, arterial ? (vertical ? "Avenue" : "Road") : "Street");
  double core = vertical ? CORE_H : CORE_W;
  double edge = vertical ? HALF_H : HALF_W;
  CdCityStreetClass klass = arterial ? CD_CITY_STREET_ARTERIAL : CD_CITY_STREET_STREET;
  guint flags = arterial && !vertical ? ROAD_BRIDGE : 0;
  double offset = 0;

  if (extend_low)
    {
      add_road (b, name, klass, 60, flags, 0,
                vertical ? line_new (at, -edge, at, -core, 250) : line_new (-edge, at, -core, at, 250));
      offset = edge - core;
    }

  add_road (b, name, klass, arterial ? 50 : 30, flags, offset,
            vertical ? line_new (at, -core, at, core, 0) : line_new (-core, at, core, at, 0));
  offset += 2 * core;

  if (extend_high)
    add_road (b, name, klass, 60, flags, offset,
              vertical ? line_new (at, core, at, edge, 250) : line_new (core, at, edge, at, 250));
}

/* Lanes crossing a rural road at @centre: three across it, two along it. */
static void
add_village (Builder    *b,
             Vec         centre,
             gboolean    road_vertical)
{
  const double s = 110.0, reach = 165.0;

  for (gint k = -1; k <= 1; k++)
    {
      g_autofree char *name = next_name (b, "Lane");

      if (road_vertical)
        add_road (b, name, CD_CITY_STREET_LANE, 15, 0, 0,
                  line_new (centre.x - reach, centre.y + k * s, centre.x + reach, centre.y + k * s, 0));
      else
        add_road (b, name, CD_CITY_STREET_LANE, 15, 0, 0,
                  line_new (centre.x + k * s, centre.y - reach, centre.x + k * s, centre.y + reach, 0));
    }
  for (gint k = -1; k <= 1; k += 2)
    {
      g_autofree char *name = next_name (b, "Lane");

      if (road_vertical)
        add_road (b, name, CD_CITY_STREET_LANE, 15, 0, 0,
                  line_new (centre.x + k * s, centre.y - s, centre.x + k * s, centre.y + s, 0));
      else
        add_road (b, name, CD_CITY_STREET_LANE, 15, 0, 0,
                  line_new (centre.x - s, centre.y + k * s, centre.x + s, centre.y + k * s, 0));
    }
}

typedef struct {
  const char *name;
  double      x, y;
  gboolean    road_vertical;
} Village;

/* Villages sit on straight rural roads, so their lanes cross them. */
static const Village villages[] = {
  { "Songling", -2000, 4300, TRUE },   /* Pine Ridge */
  { "Beiyuan", 2000, 4000, TRUE },     /* Northgate */
  { "Dongying", 3000, 3400, TRUE },    /* Northgate */
  { "Xiwan", -5000, -500, FALSE },     /* Westfield */
  { "Liujia", -5000, 1500, FALSE },    /* Westfield */
  { "Nanhu", 5000, 500, FALSE },       /* Lakeside */
  { "Wangzhuang", -3000, -4100, TRUE },/* Millbrook */
  { "Zhaojia", -1000, -3450, TRUE },   /* Millbrook */
  { "Shitou", 2000, -4300, TRUE },     /* Stonecreek */
};

static void
add_roads (Builder *b)
{
  /* North-south grid: avenues every kilometre, streets between. Which
   * avenues go on into the country, and where the remote corners have
   * none. */
  for (guint i = 0; i <= 2 * CORE_W / GRID; i++)
    {
      double x = -CORE_W + GRID * i;
      gboolean arterial = i % 4 == 0;
      gboolean south = arterial && (x == -3000 || x == -2000 || x == -1000 || x == 2000);
      gboolean north = arterial && (x == -2000 || x == 1000 || x == 2000 || x == 3000);

      add_grid_road (b, TRUE, x, arterial, south, north);
    }

  /* East-west grid: the roads every kilometre cross the river and run out
   * to the edge of the map. */
  for (guint j = 0; j <= 2 * CORE_H / GRID; j++)
    {
      double y = -CORE_H + GRID * j;
      gboolean arterial = j % 4 == 0;

      add_grid_road (b, FALSE, y, arterial, arterial, arterial);
    }

  /* Old Town's hutongs, halfway between its east-west streets. */
  for (double y = Y_MID + GRID; y < CORE_H; y += GRID)
    {
      g_autofree char *name = next_name (b, "Hutong");

      add_road (b, name, CD_CITY_STREET_LANE, 15, 0, 0, line_new (-CORE_W, y, 0, y, 0));
    }

  /* Two diagonal avenues across the whole city, and the ring road. */
  {
    g_autofree char *d1 = next_name (b, "Avenue");
    g_autofree char *d2 = next_name (b, "Avenue");

    add_road (b, d1, CD_CITY_STREET_ARTERIAL, 60, ROAD_BRIDGE, 0, line_new (-HALF_W, -4400, HALF_W, 4600, 0));
    add_road (b, d2, CD_CITY_STREET_ARTERIAL, 60, ROAD_BRIDGE, 0, line_new (-5800, HALF_H, 5600, -HALF_H, 0));
  }
  {
    GArray *ring = ellipse_new (0, 0, 4500, 3900, 0.025, 96);

    g_array_append_val (ring, g_array_index (ring, Vec, 0));
    add_road (b, "Ring Road", CD_CITY_STREET_ARTERIAL, 70, ROAD_BRIDGE, 0, ring);
  }

  /* Embankment roads along both banks. */
  for (gint side = -1; side <= 1; side += 2)
    {
      GArray *pts = vec_array_new ();

      for (double y = HALF_H; y >= -HALF_H; y -= 100)
        vec_array_add (pts, river_x (y) + side * (river_half_width (y) + EMBANKMENT_OFFSET), y);
      add_road (b, side < 0 ? "West Embankment" : "East Embankment",
                CD_CITY_STREET_ARTERIAL, 40, ROAD_RIVERSIDE, 0, pts);
    }

  /* Country roads: north-south in Westfield and Lakeside, east-west in
   * Northgate and Millbrook. */
  {
    const double xs[] = { -5250, -4250, 4250, 5250 };

    for (guint i = 0; i < G_N_ELEMENTS (xs); i++)
      {
        g_autofree char *name = next_name (b, "Road");

        add_road (b, name, CD_CITY_STREET_ARTERIAL, 60, 0, 0, line_new (xs[i], -CORE_H, xs[i], CORE_H, 250));
      }
  }
  {
    g_autofree char *n1 = next_name (b, "Road");
    g_autofree char *n2 = next_name (b, "Road");

    /* From the embankment on their side of the river. */
    add_road (b, n1, CD_CITY_STREET_ARTERIAL, 60, 0, 0,
              line_new (river_x (3700) + river_half_width (3700) + EMBANKMENT_OFFSET, 3700, HALF_W, 3700, 250));
    add_road (b, n2, CD_CITY_STREET_ARTERIAL, 60, 0, 0,
              line_new (-HALF_W, -3750, river_x (-3750) - river_half_width (-3750) - EMBANKMENT_OFFSET, -3750, 250));
  }

  /* Winding roads in the remote corners. */
  {
    const Vec pass[] = {
      { -6000, 3200 }, { -5100, 3450 }, { -4200, 3650 }, { -3300, 4100 },
      { -2500, 4550 }, { -1500, 4700 }, { -600, 4650 },
    };
    const Vec creek[] = {
      { 6000, -3200 }, { 5000, -3550 }, { 4200, -4150 }, { 3000, -4550 },
      { 2000, -4750 }, { 1100, -4850 },
    };
    const Vec valley[] = {
      { 5800, -2900 }, { 5200, -4100 }, { 5400, -5000 },
    };
    g_autofree char *n1 = next_name (b, "Road");
    g_autofree char *n2 = next_name (b, "Road");
    g_autofree char *n3 = next_name (b, "Road");

    add_road (b, n1, CD_CITY_STREET_STREET, 40, 0, 0, winding_new (pass, G_N_ELEMENTS (pass), 70, 900));
    add_road (b, n2, CD_CITY_STREET_STREET, 40, 0, 0, winding_new (creek, G_N_ELEMENTS (creek), 60, 800));
    add_road (b, n3, CD_CITY_STREET_STREET, 40, 0, 0, winding_new (valley, G_N_ELEMENTS (valley), 50, 700));
  }

  for (guint i = 0; i < G_N_ELEMENTS (villages); i++)
    add_village (b, vec (villages[i].x, villages[i].y), villages[i].road_vertical);
}

/* Building: parks ------------------------------------------------------------ */

typedef struct {
  const char *name;
  GArray     *pts;
} BPark;

static GArray *
riverside_park_new (double y0,
                    double y1)
{
  GArray *pts = vec_array_new ();

  for (double y = y1; y >= y0; y -= 50)
    vec_array_add (pts, river_x (y) + river_half_width (y) + 20, y);
  for (double y = y0; y <= y1; y += 50)
    vec_array_add (pts, river_x (y) + river_half_width (y) + 320, y);
  return pts;
}

static GArray *
rounded_rect_new (double x0,
                  double y0,
                  double x1,
                  double y1,
                  double r)
{
  GArray *pts = vec_array_new ();
  const Vec corners[] = { { x1 - r, y1 - r }, { x0 + r, y1 - r }, { x0 + r, y0 + r }, { x1 - r, y0 + r } };

  for (guint c = 0; c < 4; c++)
    for (guint k = 0; k <= 6; k++)
      {
        double a = G_PI / 2 * c + G_PI / 2 * k / 6;

        vec_array_add (pts, corners[c].x + r * cos (a), corners[c].y + r * sin (a));
      }
  return pts;
}

static GPtrArray *
parks_new (void)
{
  GPtrArray *parks = g_ptr_array_new ();
  BPark *p;

#define PARK(n, poly) \
  p = g_new0 (BPark, 1); p->name = n; p->pts = poly; g_ptr_array_add (parks, p)

  PARK ("People's Park", ellipse_new (-1875, 1375, 300, 210, 0.04, 40));
  PARK ("Riverside Park", riverside_park_new (-1900, -700));
  PARK ("Ironworks Green", rounded_rect_new (1520, -2210, 2110, -1790, 60));
  PARK ("Lotus Pond Park", ellipse_new (1625, 1875, 240, 180, 0.05, 36));
  PARK ("Pine Forest Park", ellipse_new (-4800, 4420, 700, 380, 0.08, 48));
#undef PARK

  return parks;
}

static gboolean
in_park (Builder *b,
         Vec      p)
{
  for (guint i = 0; i < b->parks->len; i++)
    {
      BPark *park = g_ptr_array_index (b->parks, i);

      if (polygon_contains_vec (park->pts, p))
        return TRUE;
    }
  return FALSE;
}

/* Building: the graph -------------------------------------------------------- */

static gboolean
blocked (Builder *b,
         Road    *road,
         Vec      p)
{
  if (!(road->flags & (ROAD_BRIDGE | ROAD_RIVERSIDE)) && in_river (p, RIVER_MARGIN))
    return TRUE;
  if (road->klass != CD_CITY_STREET_ARTERIAL && in_park (b, p))
    return TRUE;
  return FALSE;
}

static Piece *
piece_new (guint road)
{
  Piece *piece = g_new0 (Piece, 1);

  piece->road = road;
  piece->pts = vec_array_new ();
  piece->offs = g_array_new (FALSE, FALSE, sizeof (double));
  piece->cuts = g_array_new (FALSE, FALSE, sizeof (Cut));
  return piece;
}

static void
piece_free (gpointer data)
{
  Piece *piece = data;

  g_array_unref (piece->pts);
  g_array_unref (piece->offs);
  g_array_unref (piece->cuts);
  g_free (piece);
}

static void
piece_add (Piece  *piece,
           Vec     p,
           double  offset)
{
  if (piece->pts->len > 0 && vec_dist (g_array_index (piece->pts, Vec, piece->pts->len - 1), p) < 0.01)
    return;
  g_array_append_val (piece->pts, p);
  g_array_append_val (piece->offs, offset);
}

static void
piece_update_bounds (Piece *piece)
{
  piece->min_x = piece->min_y = G_MAXDOUBLE;
  piece->max_x = piece->max_y = -G_MAXDOUBLE;
  for (guint i = 0; i < piece->pts->len; i++)
    {
      Vec p = g_array_index (piece->pts, Vec, i);

      piece->min_x = MIN (piece->min_x, p.x);
      piece->min_y = MIN (piece->min_y, p.y);
      piece->max_x = MAX (piece->max_x, p.x);
      piece->max_y = MAX (piece->max_y, p.y);
    }
}

static void
finish_piece (Builder *b,
              Piece   *piece)
{
  if (piece == NULL)
    return;
  if (piece->pts->len < 2 || polyline_metres (piece->pts) < 5.0)
    {
      piece_free (piece);
      return;
    }
  piece_update_bounds (piece);
  g_ptr_array_add (b->pieces, piece);
}

/* Splits a road into the pieces that stay clear of the water (unless it is
 * a bridge road) and of parks (unless it is an avenue). */
static void
clip_road (Builder *b,
           guint    r)
{
  Road *road = &g_array_index (b->roads, Road, r);
  Piece *cur = NULL;
  double along = road->offset0;
  Vec first = g_array_index (road->pts, Vec, 0);
  gboolean was_blocked = blocked (b, road, first);

  if (!was_blocked)
    {
      cur = piece_new (r);
      piece_add (cur, first, along);
    }

  for (guint i = 0; i + 1 < road->pts->len; i++)
    {
      Vec a = g_array_index (road->pts, Vec, i);
      Vec c = g_array_index (road->pts, Vec, i + 1);
      double len = vec_dist (a, c);
      guint steps = MAX (1, (guint) ceil (len / CLIP_STEP_M));

      for (guint k = 1; k <= steps; k++)
        {
          double t0 = (double) (k - 1) / steps, t1 = (double) k / steps;
          gboolean is_blocked = blocked (b, road, vec_lerp (a, c, t1));
          double lo = t0, hi = t1, tq;

          if (is_blocked == was_blocked)
            continue;

          for (guint it = 0; it < 30; it++)
            {
              double mid = (lo + hi) / 2;

              if (blocked (b, road, vec_lerp (a, c, mid)) == was_blocked)
                lo = mid;
              else
                hi = mid;
            }
          /* The free side of the boundary. */
          tq = is_blocked ? lo : hi;
          if (is_blocked)
            {
              piece_add (cur, vec_lerp (a, c, tq), along + tq * len);
              finish_piece (b, cur);
              cur = NULL;
            }
          else
            {
              cur = piece_new (r);
              piece_add (cur, vec_lerp (a, c, tq), along + tq * len);
            }
          was_blocked = is_blocked;
        }

      along += len;
      if (!was_blocked)
        piece_add (cur, c, along);
    }

  finish_piece (b, cur);
}

static void
piece_add_cut (Piece  *piece,
               guint   seg,
               double  t,
               Vec     p)
{
  Cut cut = { seg, t, p, G_MAXUINT };

  g_array_append_val (piece->cuts, cut);
}

static gboolean
bounds_overlap (Piece  *a,
                Piece  *b,
                double  slack)
{
  return a->min_x - slack <= b->max_x && b->min_x - slack <= a->max_x &&
         a->min_y - slack <= b->max_y && b->min_y - slack <= a->max_y;
}

static gboolean
at_map_edge (Vec p)
{
  return fabs (p.x) > HALF_W - 1 || fabs (p.y) > HALF_H - 1;
}

/* A road end that stops short of another road (clipped at the river next
 * to an embankment, or drawn to end on it) is moved onto it. */
static void
snap_ends (Builder *b)
{
  for (guint i = 0; i < b->pieces->len; i++)
    {
      Piece *piece = g_ptr_array_index (b->pieces, i);

      for (guint end = 0; end < 2; end++)
        {
          guint idx = end == 0 ? 0 : piece->pts->len - 1;
          guint prev_idx = end == 0 ? 1 : piece->pts->len - 2;
          Vec e = g_array_index (piece->pts, Vec, idx);
          Vec prev = g_array_index (piece->pts, Vec, prev_idx);
          Piece *best_piece = NULL;
          guint best_seg = 0;
          double best_t = 0, best_d = SNAP_M;
          gboolean crosses = FALSE;

          if (at_map_edge (e))
            continue;

          for (guint j = 0; j < b->pieces->len && !crosses; j++)
            {
              Piece *other = g_ptr_array_index (b->pieces, j);

              if (other == piece ||
                  e.x < other->min_x - SNAP_M || e.x > other->max_x + SNAP_M ||
                  e.y < other->min_y - SNAP_M || e.y > other->max_y + SNAP_M)
                continue;

              for (guint s = 0; s + 1 < other->pts->len; s++)
                {
                  Vec a = g_array_index (other->pts, Vec, s);
                  Vec c = g_array_index (other->pts, Vec, s + 1);
                  double t = segment_project (a, c, e);
                  double d = vec_dist (vec_lerp (a, c, t), e);
                  double tt, uu;

                  /* Overshoots it a little: the crossing pass joins them
                   * and the stub is trimmed. */
                  if (segment_intersect (prev, e, a, c, &tt, &uu) &&
                      vec_dist (vec_lerp (prev, e, tt), e) < SNAP_M)
                    {
                      crosses = TRUE;
                      break;
                    }
                  if (d < best_d)
                    {
                      best_d = d;
                      best_piece = other;
                      best_seg = s;
                      best_t = t;
                    }
                }
            }

          if (crosses || best_piece == NULL)
            continue;

          /* A short link to it, rather than moving the end: that would
           * tilt a long straight piece off the crossings on it. */
          {
            double offset = g_array_index (piece->offs, double, idx);

            e = vec_lerp (g_array_index (best_piece->pts, Vec, best_seg),
                          g_array_index (best_piece->pts, Vec, best_seg + 1), best_t);
            if (vec_dist (e, g_array_index (piece->pts, Vec, idx)) > 0.01)
              {
                if (end == 0)
                  {
                    g_array_prepend_val (piece->pts, e);
                    g_array_prepend_val (piece->offs, offset);
                    /* Cuts other ends made on this piece move along. */
                    for (guint k = 0; k < piece->cuts->len; k++)
                      g_array_index (piece->cuts, Cut, k).seg++;
                  }
                else
                  {
                    g_array_append_val (piece->pts, e);
                    g_array_append_val (piece->offs, offset);
                  }
              }
            piece_add_cut (best_piece, best_seg, best_t, e);
            piece_update_bounds (piece);
          }
        }
    }
}

static void
find_crossings (Builder *b)
{
  for (guint i = 0; i < b->pieces->len; i++)
    {
      Piece *p = g_ptr_array_index (b->pieces, i);

      piece_add_cut (p, 0, 0.0, g_array_index (p->pts, Vec, 0));
      piece_add_cut (p, p->pts->len - 2, 1.0, g_array_index (p->pts, Vec, p->pts->len - 1));
    }

  for (guint i = 0; i < b->pieces->len; i++)
    {
      Piece *p = g_ptr_array_index (b->pieces, i);

      for (guint j = i + 1; j < b->pieces->len; j++)
        {
          Piece *q = g_ptr_array_index (b->pieces, j);

          if (!bounds_overlap (p, q, 1.0))
            continue;

          for (guint s = 0; s + 1 < p->pts->len; s++)
            {
              Vec a = g_array_index (p->pts, Vec, s);
              Vec c = g_array_index (p->pts, Vec, s + 1);

              if (MAX (a.x, c.x) < q->min_x - 1 || MIN (a.x, c.x) > q->max_x + 1 ||
                  MAX (a.y, c.y) < q->min_y - 1 || MIN (a.y, c.y) > q->max_y + 1)
                continue;

              for (guint u = 0; u + 1 < q->pts->len; u++)
                {
                  Vec d = g_array_index (q->pts, Vec, u);
                  Vec e = g_array_index (q->pts, Vec, u + 1);
                  double t, w;
                  Vec x;

                  if (!segment_intersect (a, c, d, e, &t, &w))
                    continue;
                  x = vec_lerp (a, c, t);
                  piece_add_cut (p, s, t, x);
                  piece_add_cut (q, u, w, x);
                }
            }
        }
    }
}

static gint64
cell_key (double x,
          double y)
{
  gint64 cx = (gint64) floor (x / MERGE_M) + (1 << 20);
  gint64 cy = (gint64) floor (y / MERGE_M) + (1 << 20);

  return (cx << 32) | cy;
}

static guint
node_for (Builder    *b,
          GHashTable *cells,
          Vec         p)
{
  gint64 key = cell_key (p.x, p.y);
  guint node;
  GArray *list;

  for (gint dx = -1; dx <= 1; dx++)
    for (gint dy = -1; dy <= 1; dy++)
      {
        gint64 k = cell_key (p.x + dx * MERGE_M, p.y + dy * MERGE_M);

        list = g_hash_table_lookup (cells, &k);
        for (guint i = 0; list && i < list->len; i++)
          {
            guint n = g_array_index (list, guint, i);

            if (vec_dist (g_array_index (b->nodes, Vec, n), p) < MERGE_M)
              return n;
          }
      }

  node = b->nodes->len;
  g_array_append_val (b->nodes, p);
  list = g_hash_table_lookup (cells, &key);
  if (list == NULL)
    {
      gint64 *k = g_new (gint64, 1);

      *k = key;
      list = g_array_new (FALSE, FALSE, sizeof (guint));
      g_hash_table_insert (cells, k, list);
    }
  g_array_append_val (list, node);
  return node;
}

static gint
compare_cuts (gconstpointer a,
              gconstpointer b)
{
  const Cut *ca = a, *cb = b;

  if (ca->seg != cb->seg)
    return ca->seg < cb->seg ? -1 : 1;
  if (ca->t != cb->t)
    return ca->t < cb->t ? -1 : 1;
  return 0;
}

static void
poly_add (GArray *poly,
          Vec     p)
{
  if (poly->len > 0 && vec_dist (g_array_index (poly, Vec, poly->len - 1), p) < 0.01)
    return;
  g_array_append_val (poly, p);
}

static void
make_edges (Builder *b)
{
  g_autoptr(GHashTable) cells = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free,
                                                       (GDestroyNotify) g_array_unref);

  for (guint i = 0; i < b->pieces->len; i++)
    {
      Piece *p = g_ptr_array_index (b->pieces, i);

      g_array_sort (p->cuts, compare_cuts);
      for (guint k = 0; k < p->cuts->len; k++)
        {
          Cut *cut = &g_array_index (p->cuts, Cut, k);

          cut->node = node_for (b, cells, cut->p);
        }
    }

  for (guint i = 0; i < b->pieces->len; i++)
    {
      Piece *p = g_ptr_array_index (b->pieces, i);
      Cut *prev = &g_array_index (p->cuts, Cut, 0);

      for (guint k = 1; k < p->cuts->len; k++)
        {
          Cut *cut = &g_array_index (p->cuts, Cut, k);
          Vec from = g_array_index (b->nodes, Vec, prev->node);
          Vec to = g_array_index (b->nodes, Vec, cut->node);
          double o0 = g_array_index (p->offs, double, prev->seg);
          double o1 = g_array_index (p->offs, double, prev->seg + 1);
          BEdge edge = { prev->node, cut->node, p->road, o0 + prev->t * (o1 - o0), NULL, FALSE };

          if (cut->node == prev->node)
            {
              prev = cut;
              continue;
            }

          edge.pts = vec_array_new ();
          poly_add (edge.pts, from);
          for (guint v = prev->seg + 1; v <= cut->seg; v++)
            {
              Vec q = g_array_index (p->pts, Vec, v);

              if (vec_dist (q, from) > MERGE_M && vec_dist (q, to) > MERGE_M)
                poly_add (edge.pts, q);
            }
          poly_add (edge.pts, to);
          g_array_append_val (b->edges, edge);
          prev = cut;
        }
    }
}

static void
degrees (Builder *b,
         guint   *degree)
{
  memset (degree, 0, sizeof (guint) * b->nodes->len);
  for (guint i = 0; i < b->edges->len; i++)
    {
      BEdge *e = &g_array_index (b->edges, BEdge, i);

      if (e->dead)
        continue;
      degree[e->from]++;
      degree[e->to]++;
    }
}

/* Trims the stubs of road ends that overshoot a crossing, then keeps the
 * largest connected part. Returns the new index of every node (G_MAXUINT:
 * dropped). */
static guint *
prune (Builder *b,
       guint   *n_kept)
{
  guint n = b->nodes->len;
  g_autofree guint *degree = g_new0 (guint, n);
  g_autofree guint *component = g_new (guint, n);
  g_autofree guint *stack = g_new (guint, n);
  g_autofree guint *adj_start = g_new0 (guint, n + 1);
  g_autofree guint *adj = NULL;
  guint *remap = g_new (guint, n);
  guint best = 0, best_size = 0, n_components = 0;
  gboolean changed = TRUE;

  while (changed)
    {
      changed = FALSE;
      degrees (b, degree);
      for (guint i = 0; i < b->edges->len; i++)
        {
          BEdge *e = &g_array_index (b->edges, BEdge, i);

          if (!e->dead && (degree[e->from] == 1 || degree[e->to] == 1) &&
              polyline_metres (e->pts) < STUB_M)
            {
              e->dead = TRUE;
              degree[e->from]--;
              degree[e->to]--;
              changed = TRUE;
            }
        }
    }

  /* Undirected adjacency of the live edges. */
  for (guint i = 0; i < b->edges->len; i++)
    {
      BEdge *e = &g_array_index (b->edges, BEdge, i);

      if (e->dead)
        continue;
      adj_start[e->from + 1]++;
      adj_start[e->to + 1]++;
    }
  for (guint i = 0; i < n; i++)
    adj_start[i + 1] += adj_start[i];
  adj = g_new (guint, adj_start[n] + 1);
  {
    g_autofree guint *fill = g_memdup2 (adj_start, sizeof (guint) * n);

    for (guint i = 0; i < b->edges->len; i++)
      {
        BEdge *e = &g_array_index (b->edges, BEdge, i);

        if (e->dead)
          continue;
        adj[fill[e->from]++] = e->to;
        adj[fill[e->to]++] = e->from;
      }
  }

  for (guint i = 0; i < n; i++)
    component[i] = G_MAXUINT;
  for (guint i = 0; i < n; i++)
    {
      guint size = 0, top = 0;

      if (component[i] != G_MAXUINT || degree[i] == 0)
        continue;
      component[i] = n_components;
      stack[top++] = i;
      while (top > 0)
        {
          guint v = stack[--top];

          size++;
          for (guint k = adj_start[v]; k < adj_start[v + 1]; k++)
            if (component[adj[k]] == G_MAXUINT)
              {
                component[adj[k]] = n_components;
                stack[top++] = adj[k];
              }
        }
      if (size > best_size)
        {
          best_size = size;
          best = n_components;
        }
      n_components++;
    }

  *n_kept = 0;
  for (guint i = 0; i < n; i++)
    remap[i] = component[i] == best && degree[i] > 0 ? (*n_kept)++ : G_MAXUINT;
  for (guint i = 0; i < b->edges->len; i++)
    {
      BEdge *e = &g_array_index (b->edges, BEdge, i);

      if (remap[e->from] == G_MAXUINT)
        e->dead = TRUE;
    }

  return remap;
}

/* Building: districts -------------------------------------------------------- */

#define RIVER_SIDE G_MAXDOUBLE

typedef struct {
  const char  *id;
  const char  *name;
  CdAreaClass  area_class;
  guint        utilities;
  double       y0, y1;      /* south, north */
  double       x_left;      /* west side: a constant, or RIVER_SIDE */
  double       x_right;     /* east side */
} DistrictSpec;

#define HEAT  (1u << CD_UTILITY_HEAT)
#define POWER (1u << CD_UTILITY_POWER)

static const DistrictSpec district_specs[] = {
  { "old-town", "Old Town", CD_AREA_CLASS_URBAN, HEAT | POWER, Y_MID, Y_NORTH, X_WEST, RIVER_SIDE },
  { "market", "Market Quarter", CD_AREA_CLASS_URBAN, HEAT | POWER, Y_SOUTH, Y_MID, X_WEST, RIVER_SIDE },
  { "eastbank", "Eastbank", CD_AREA_CLASS_URBAN, HEAT | POWER, Y_MID, Y_NORTH, RIVER_SIDE, X_EAST },
  { "ironworks", "Ironworks", CD_AREA_CLASS_URBAN, HEAT | POWER, Y_SOUTH, Y_MID, RIVER_SIDE, X_EAST },
  { "northgate", "Northgate", CD_AREA_CLASS_RURAL, HEAT | POWER, Y_NORTH, HALF_H, RIVER_SIDE, HALF_W },
  { "westfield", "Westfield", CD_AREA_CLASS_RURAL, HEAT | POWER, Y_SOUTH, Y_NORTH, -HALF_W, X_WEST },
  { "lakeside", "Lakeside", CD_AREA_CLASS_RURAL, HEAT | POWER, Y_SOUTH, Y_NORTH, X_EAST, HALF_W },
  { "millbrook", "Millbrook", CD_AREA_CLASS_RURAL, POWER, -HALF_H, Y_SOUTH, -HALF_W, RIVER_SIDE },
  { "pine-ridge", "Pine Ridge", CD_AREA_CLASS_REMOTE, POWER, Y_NORTH, HALF_H, -HALF_W, RIVER_SIDE },
  { "stonecreek", "Stonecreek", CD_AREA_CLASS_REMOTE, POWER, -HALF_H, Y_SOUTH, RIVER_SIDE, HALF_W },
};

static void
district_side (GArray *poly,
               double  x,
               double  y_from,
               double  y_to)
{
  if (x != RIVER_SIDE)
    {
      vec_array_add (poly, x, y_from);
      vec_array_add (poly, x, y_to);
      return;
    }

  {
    guint n = MAX (1, (guint) ceil (fabs (y_to - y_from) / 50.0));

    for (guint i = 0; i <= n; i++)
      {
        double y = y_from + (y_to - y_from) * i / n;

        vec_array_add (poly, river_x (y), y);
      }
  }
}

static GArray *
district_polygon_new (const DistrictSpec *spec)
{
  GArray *poly = vec_array_new ();

  district_side (poly, spec->x_left, spec->y0, spec->y1);
  district_side (poly, spec->x_right, spec->y1, spec->y0);
  return poly;
}

/* The area centroid (shoelace). */
static Vec
polygon_centroid (GArray *poly)
{
  double a = 0, cx = 0, cy = 0;

  for (guint i = 0; i < poly->len; i++)
    {
      Vec p = g_array_index (poly, Vec, i);
      Vec q = g_array_index (poly, Vec, (i + 1) % poly->len);
      double f = p.x * q.y - q.x * p.y;

      a += f;
      cx += (p.x + q.x) * f;
      cy += (p.y + q.y) * f;
    }

  return vec (cx / (3 * a), cy / (3 * a));
}

/* Assembly -------------------------------------------------------------------- */

static GArray *
points_from_vecs (GArray *vecs)
{
  GArray *points = g_array_sized_new (FALSE, FALSE, sizeof (CdCityPoint), vecs->len);

  for (guint i = 0; i < vecs->len; i++)
    {
      CdCityPoint p = vec_to_point (g_array_index (vecs, Vec, i));

      g_array_append_val (points, p);
    }
  return points;
}

static void
builder_clear (Builder *b)
{
  for (guint i = 0; i < b->roads->len; i++)
    {
      Road *road = &g_array_index (b->roads, Road, i);

      g_free (road->name);
      g_array_unref (road->pts);
    }
  g_array_unref (b->roads);
  g_ptr_array_unref (b->pieces);
  for (guint i = 0; i < b->parks->len; i++)
    {
      BPark *park = g_ptr_array_index (b->parks, i);

      g_array_unref (park->pts);
      g_free (park);
    }
  g_ptr_array_unref (b->parks);
  g_array_unref (b->nodes);
  for (guint i = 0; i < b->edges->len; i++)
    g_array_unref (g_array_index (b->edges, BEdge, i).pts);
  g_array_unref (b->edges);
  g_hash_table_unref (b->names);
}

static void
add_landmark (CdCity     *city,
              const char *name,
              const char *kind,
              Vec         at)
{
  CdCityLandmark landmark = {
    g_string_chunk_insert_const (city->strings, name),
    g_string_chunk_insert_const (city->strings, kind),
    vec_to_point (at),
  };

  g_array_append_val (city->landmarks, landmark);
}

static void
build_streets (CdCity  *city,
               Builder *b,
               guint   *remap,
               guint    n_nodes)
{
  city->nodes = g_array_sized_new (FALSE, TRUE, sizeof (CdCityNode), n_nodes);
  city->node_xy = g_array_sized_new (FALSE, FALSE, sizeof (Vec), n_nodes);
  g_array_set_size (city->nodes, n_nodes);
  g_array_set_size (city->node_xy, n_nodes);
  for (guint i = 0; i < b->nodes->len; i++)
    {
      Vec p = g_array_index (b->nodes, Vec, i);

      if (remap[i] == G_MAXUINT)
        continue;
      g_array_index (city->nodes, CdCityNode, remap[i]).point = vec_to_point (p);
      g_array_index (city->node_xy, Vec, remap[i]) = p;
    }

  city->streets = g_array_new (FALSE, TRUE, sizeof (CdCityStreet));
  city->street_xy = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  city->street_cum = g_ptr_array_new_with_free_func ((GDestroyNotify) g_array_unref);
  city->max_speed_ms = 1;

  for (guint i = 0; i < b->edges->len; i++)
    {
      BEdge *e = &g_array_index (b->edges, BEdge, i);
      Road *road = &g_array_index (b->roads, Road, e->road);
      CdCityStreet street = { 0 };
      GArray *cum = g_array_sized_new (FALSE, FALSE, sizeof (double), e->pts->len);
      double walked = 0;

      if (e->dead)
        {
          g_array_unref (cum);
          continue;
        }

      street.from = remap[e->from];
      street.to = remap[e->to];
      street.name = g_string_chunk_insert_const (city->strings, road->name);
      street.street_class = road->klass;
      street.speed_kmh = road->speed;
      street.points = points_from_vecs (e->pts);
      street.road_offset_m = e->offset;
      for (guint k = 0; k < street.points->len; k++)
        {
          if (k > 0)
            walked += point_dist (g_array_index (street.points, CdCityPoint, k - 1),
                                  g_array_index (street.points, CdCityPoint, k));
          g_array_append_val (cum, walked);
          if ((road->flags & ROAD_BRIDGE) && in_river (g_array_index (e->pts, Vec, k), 0))
            street.bridge = TRUE;
        }
      /* A bridge's ends are on the banks: look between points too. */
      for (guint k = 0; k + 1 < e->pts->len && (road->flags & ROAD_BRIDGE) && !street.bridge; k++)
        for (guint s = 1; s < 20; s++)
          if (in_river (vec_lerp (g_array_index (e->pts, Vec, k), g_array_index (e->pts, Vec, k + 1), s / 20.0), 0))
            street.bridge = TRUE;
      street.length_m = walked;
      city->max_speed_ms = MAX (city->max_speed_ms, street.speed_kmh / 3.6);

      g_array_append_val (city->streets, street);
      g_ptr_array_add (city->street_xy, g_array_ref (e->pts));
      g_ptr_array_add (city->street_cum, cum);
      g_array_index (city->nodes, CdCityNode, street.from).degree++;
      g_array_index (city->nodes, CdCityNode, street.to).degree++;
    }

  /* Adjacency, in street order so that routing is deterministic. */
  city->adj_start = g_new0 (guint, n_nodes + 1);
  city->adj = g_new (guint, 2 * city->streets->len + 1);
  for (guint i = 0; i < city->streets->len; i++)
    {
      CdCityStreet *s = &g_array_index (city->streets, CdCityStreet, i);

      city->adj_start[s->from + 1]++;
      city->adj_start[s->to + 1]++;
    }
  for (guint i = 0; i < n_nodes; i++)
    city->adj_start[i + 1] += city->adj_start[i];
  {
    g_autofree guint *fill = g_memdup2 (city->adj_start, sizeof (guint) * n_nodes);

    for (guint i = 0; i < city->streets->len; i++)
      {
        CdCityStreet *s = &g_array_index (city->streets, CdCityStreet, i);

        city->adj[fill[s->from]++] = i;
        city->adj[fill[s->to]++] = i;
      }
  }
}

static void
build_districts (CdCity *city)
{
  city->districts = g_array_new (FALSE, TRUE, sizeof (CdCityDistrict));
  city->district_ids = g_new0 (const char *, G_N_ELEMENTS (district_specs) + 1);

  for (guint i = 0; i < G_N_ELEMENTS (district_specs); i++)
    {
      const DistrictSpec *spec = &district_specs[i];
      g_autoptr(GArray) poly = district_polygon_new (spec);
      CdCityDistrict d = { 0 };

      d.id = g_string_chunk_insert_const (city->strings, spec->id);
      d.name = g_string_chunk_insert_const (city->strings, spec->name);
      d.area_class = spec->area_class;
      d.utilities = spec->utilities;
      d.polygon = points_from_vecs (poly);
      d.label = vec_to_point (polygon_centroid (poly));
      g_array_append_val (city->districts, d);
      city->district_ids[i] = d.id;
    }
}

/* Each node's district; each district's depot, the junction nearest its
 * middle; and the streets with houses, by district. */
static void
place_in_districts (CdCity *city)
{
  guint n_districts = city->districts->len;

  for (guint i = 0; i < city->nodes->len; i++)
    {
      CdCityNode *node = &g_array_index (city->nodes, CdCityNode, i);
      const CdCityDistrict *d = cd_city_district_at (city, node->point.lat, node->point.lon);

      node->district = d ? (guint) (d - (const CdCityDistrict *) city->districts->data) : 0;
    }

  for (guint k = 0; k < n_districts; k++)
    {
      CdCityDistrict *d = &g_array_index (city->districts, CdCityDistrict, k);
      double best = G_MAXDOUBLE;

      for (guint i = 0; i < city->nodes->len; i++)
        {
          CdCityNode *node = &g_array_index (city->nodes, CdCityNode, i);
          double dist = point_dist (node->point, d->label);

          if (node->district == k && node->degree >= 3 && dist < best)
            {
              best = dist;
              d->depot = i;
            }
        }
    }

  city->pools = g_new0 (AddressPool, n_districts + 1);
  for (guint k = 0; k <= n_districts; k++)
    {
      city->pools[k].streets = g_array_new (FALSE, FALSE, sizeof (guint));
      city->pools[k].cumulative = g_array_new (FALSE, FALSE, sizeof (double));
    }
  for (guint i = 0; i < city->streets->len; i++)
    {
      CdCityStreet *s = &g_array_index (city->streets, CdCityStreet, i);
      double lat, lon;
      const CdCityDistrict *d;

      if (s->bridge)
        continue;
      cd_city_point_along (s->points, s->length_m / 2, &lat, &lon, NULL);
      d = cd_city_district_at (city, lat, lon);
      for (guint pass = 0; pass < 2; pass++)
        {
          AddressPool *pool;
          double total;

          if (pass == 0 && d == NULL)
            continue;
          pool = pass == 0 ? &city->pools[d - (const CdCityDistrict *) city->districts->data]
                           : &city->pools[n_districts];
          total = pool->cumulative->len > 0
                  ? g_array_index (pool->cumulative, double, pool->cumulative->len - 1) : 0;
          total += s->length_m;
          g_array_append_val (pool->streets, i);
          g_array_append_val (pool->cumulative, total);
        }
    }
}

static void
build_water_and_parks (CdCity  *city,
                       Builder *b)
{
  g_autoptr(GArray) poly = vec_array_new ();
  g_autoptr(GArray) center = vec_array_new ();
  const double reach = HALF_H + 1000;

  for (double y = reach; y >= -reach; y -= 50)
    {
      vec_array_add (poly, river_x (y) - river_half_width (y), y);
      vec_array_add (center, river_x (y), y);
    }
  for (double y = -reach; y <= reach; y += 50)
    vec_array_add (poly, river_x (y) + river_half_width (y), y);

  city->river.name = g_string_chunk_insert_const (city->strings, RIVER_NAME);
  city->river.polygon = points_from_vecs (poly);
  city->river.centerline = points_from_vecs (center);

  city->parks = g_array_new (FALSE, TRUE, sizeof (CdCityArea));
  for (guint i = 0; i < b->parks->len; i++)
    {
      BPark *park = g_ptr_array_index (b->parks, i);
      CdCityArea area = { g_string_chunk_insert_const (city->strings, park->name), points_from_vecs (park->pts) };

      g_array_append_val (city->parks, area);
    }
}

static void
build_landmarks (CdCity *city)
{
  city->landmarks = g_array_new (FALSE, TRUE, sizeof (CdCityLandmark));

  add_landmark (city, "City Hall", "city-hall", vec (-1500, 1190));
  add_landmark (city, "Central Station", "station", vec (1370, 690));
  add_landmark (city, "People's Hospital", "hospital", vec (-760, -1130));
  add_landmark (city, "Heat Plant No. 1", "heat-plant", vec (2620, -2130));
  add_landmark (city, "Heat Plant No. 2", "heat-plant", vec (-4650, 1880));
  add_landmark (city, "North Substation", "substation", vec (2630, 3880));
  add_landmark (city, "South Substation", "substation", vec (-2130, -3380));
  add_landmark (city, "Riverside Substation", "substation", vec (2370, 1630));

  for (guint i = 0; i < G_N_ELEMENTS (villages); i++)
    {
      g_autofree char *name = g_strdup_printf ("%s Village", villages[i].name);

      add_landmark (city, name, "village", vec (villages[i].x + (villages[i].road_vertical ? 60 : 0),
                                                villages[i].y + (villages[i].road_vertical ? 0 : 60)));
    }

  for (guint k = 0; k < city->districts->len; k++)
    {
      CdCityDistrict *d = &g_array_index (city->districts, CdCityDistrict, k);
      g_autofree char *name = g_strdup_printf ("%s Depot", d->name);

      add_landmark (city, name, "depot", g_array_index (city->node_xy, Vec, d->depot));
    }
}

CdCity *
cd_city_new_demo (void)
{
  CdCity *city = g_new0 (CdCity, 1);
  Builder b = { 0 };
  g_autofree guint *remap = NULL;
  guint n_nodes = 0;
  CdCityPoint sw = vec_to_point (vec (-HALF_W, -HALF_H));
  CdCityPoint ne = vec_to_point (vec (HALF_W, HALF_H));

  city->strings = g_string_chunk_new (4096);
  city->south = sw.lat;
  city->west = sw.lon;
  city->north = ne.lat;
  city->east = ne.lon;

  b.roads = g_array_new (FALSE, TRUE, sizeof (Road));
  b.pieces = g_ptr_array_new_with_free_func (piece_free);
  b.parks = parks_new ();
  b.nodes = vec_array_new ();
  b.edges = g_array_new (FALSE, TRUE, sizeof (BEdge));
  b.names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  add_roads (&b);
  for (guint i = 0; i < b.roads->len; i++)
    clip_road (&b, i);
  snap_ends (&b);
  find_crossings (&b);
  make_edges (&b);
  remap = prune (&b, &n_nodes);

  build_districts (city);
  build_streets (city, &b, remap, n_nodes);
  build_water_and_parks (city, &b);
  place_in_districts (city);
  build_landmarks (city);

  builder_clear (&b);
  return city;
}

CdCity *
cd_city_get_demo (void)
{
  static CdCity *demo = NULL;

  if (g_once_init_enter (&demo))
    g_once_init_leave (&demo, cd_city_new_demo ());

  return demo;
}

void
cd_city_free (CdCity *city)
{
  if (city == NULL)
    return;

  for (guint k = 0; k <= city->districts->len && city->pools; k++)
    {
      g_array_unref (city->pools[k].streets);
      g_array_unref (city->pools[k].cumulative);
    }
  g_free (city->pools);
  for (guint i = 0; i < city->districts->len; i++)
    g_array_unref (g_array_index (city->districts, CdCityDistrict, i).polygon);
  g_array_unref (city->districts);
  g_free (city->district_ids);
  for (guint i = 0; i < city->streets->len; i++)
    g_array_unref (g_array_index (city->streets, CdCityStreet, i).points);
  g_array_unref (city->streets);
  g_ptr_array_unref (city->street_xy);
  g_ptr_array_unref (city->street_cum);
  g_array_unref (city->nodes);
  g_array_unref (city->node_xy);
  g_free (city->adj_start);
  g_free (city->adj);
  g_array_unref (city->river.polygon);
  g_array_unref (city->river.centerline);
  for (guint i = 0; i < city->parks->len; i++)
    g_array_unref (g_array_index (city->parks, CdCityArea, i).polygon);
  g_array_unref (city->parks);
  g_array_unref (city->landmarks);
  g_string_chunk_free (city->strings);
  g_free (city);
}

/* Accessors ------------------------------------------------------------------- */

const char *
cd_city_get_name (CdCity *city)
{
  g_return_val_if_fail (city != NULL, NULL);

  return CITY_NAME;
}

void
cd_city_get_bounds (CdCity *city,
                    double *south,
                    double *west,
                    double *north,
                    double *east)
{
  g_return_if_fail (city != NULL);

  if (south)
    *south = city->south;
  if (west)
    *west = city->west;
  if (north)
    *north = city->north;
  if (east)
    *east = city->east;
}

guint
cd_city_get_n_districts (CdCity *city)
{
  g_return_val_if_fail (city != NULL, 0);

  return city->districts->len;
}

const CdCityDistrict *
cd_city_get_district (CdCity *city,
                      guint   index)
{
  g_return_val_if_fail (city != NULL, NULL);
  g_return_val_if_fail (index < city->districts->len, NULL);

  return &g_array_index (city->districts, CdCityDistrict, index);
}

const CdCityDistrict *
cd_city_find_district (CdCity     *city,
                       const char *id)
{
  g_return_val_if_fail (city != NULL, NULL);

  for (guint i = 0; id != NULL && i < city->districts->len; i++)
    if (strcmp (g_array_index (city->districts, CdCityDistrict, i).id, id) == 0)
      return &g_array_index (city->districts, CdCityDistrict, i);

  return NULL;
}

const char * const *
cd_city_get_district_ids (CdCity *city)
{
  g_return_val_if_fail (city != NULL, NULL);

  return city->district_ids;
}

const CdCityDistrict *
cd_city_district_at (CdCity *city,
                     double  lat,
                     double  lon)
{
  g_return_val_if_fail (city != NULL, NULL);

  if (!(lat >= city->south && lat <= city->north && lon >= city->west && lon <= city->east))
    return NULL;

  for (guint i = 0; i < city->districts->len; i++)
    {
      const CdCityDistrict *d = &g_array_index (city->districts, CdCityDistrict, i);

      if (cd_city_polygon_contains (d->polygon, lat, lon))
        return d;
    }

  return NULL;
}

guint
cd_city_get_n_nodes (CdCity *city)
{
  g_return_val_if_fail (city != NULL, 0);

  return city->nodes->len;
}

const CdCityNode *
cd_city_get_node (CdCity *city,
                  guint   index)
{
  g_return_val_if_fail (city != NULL, NULL);
  g_return_val_if_fail (index < city->nodes->len, NULL);

  return &g_array_index (city->nodes, CdCityNode, index);
}

guint
cd_city_get_n_streets (CdCity *city)
{
  g_return_val_if_fail (city != NULL, 0);

  return city->streets->len;
}

const CdCityStreet *
cd_city_get_street (CdCity *city,
                    guint   index)
{
  g_return_val_if_fail (city != NULL, NULL);
  g_return_val_if_fail (index < city->streets->len, NULL);

  return &g_array_index (city->streets, CdCityStreet, index);
}

const CdCityRiver *
cd_city_get_river (CdCity *city)
{
  g_return_val_if_fail (city != NULL, NULL);

  return &city->river;
}

guint
cd_city_get_n_parks (CdCity *city)
{
  g_return_val_if_fail (city != NULL, 0);

  return city->parks->len;
}

const CdCityArea *
cd_city_get_park (CdCity *city,
                  guint   index)
{
  g_return_val_if_fail (city != NULL, NULL);
  g_return_val_if_fail (index < city->parks->len, NULL);

  return &g_array_index (city->parks, CdCityArea, index);
}

guint
cd_city_get_n_landmarks (CdCity *city)
{
  g_return_val_if_fail (city != NULL, 0);

  return city->landmarks->len;
}

const CdCityLandmark *
cd_city_get_landmark (CdCity *city,
                      guint   index)
{
  g_return_val_if_fail (city != NULL, NULL);
  g_return_val_if_fail (index < city->landmarks->len, NULL);

  return &g_array_index (city->landmarks, CdCityLandmark, index);
}

/* Queries --------------------------------------------------------------------- */

guint
cd_city_nearest_node (CdCity *city,
                      double  lat,
                      double  lon,
                      double *distance_m)
{
  Vec p = point_to_vec (lat, lon);
  double best = G_MAXDOUBLE;
  guint best_node = 0;

  g_return_val_if_fail (city != NULL, 0);

  for (guint i = 0; i < city->node_xy->len; i++)
    {
      double d = vec_dist (g_array_index (city->node_xy, Vec, i), p);

      if (d < best)
        {
          best = d;
          best_node = i;
        }
    }

  if (distance_m)
    {
      CdCityPoint q = g_array_index (city->nodes, CdCityNode, best_node).point;

      *distance_m = cd_city_distance_m (lat, lon, q.lat, q.lon);
    }
  return best_node;
}

typedef struct {
  guint       street;
  double      along;   /* metres from the street's from node */
  CdCityPoint point;
} Snap;

static void
snap_to_street (CdCity *city,
                double  lat,
                double  lon,
                Snap   *out)
{
  Vec p = point_to_vec (lat, lon);
  double best = G_MAXDOUBLE;
  guint best_street = 0, best_seg = 0;
  double best_t = 0;

  for (guint i = 0; i < city->street_xy->len; i++)
    {
      GArray *xy = g_ptr_array_index (city->street_xy, i);

      for (guint k = 0; k + 1 < xy->len; k++)
        {
          Vec a = g_array_index (xy, Vec, k), c = g_array_index (xy, Vec, k + 1);
          double t = segment_project (a, c, p);
          double d = vec_dist (vec_lerp (a, c, t), p);

          if (d < best)
            {
              best = d;
              best_street = i;
              best_seg = k;
              best_t = t;
            }
        }
    }

  {
    CdCityStreet *s = &g_array_index (city->streets, CdCityStreet, best_street);
    GArray *cum = g_ptr_array_index (city->street_cum, best_street);
    CdCityPoint a = g_array_index (s->points, CdCityPoint, best_seg);
    CdCityPoint c = g_array_index (s->points, CdCityPoint, best_seg + 1);
    double c0 = g_array_index (cum, double, best_seg), c1 = g_array_index (cum, double, best_seg + 1);

    out->street = best_street;
    out->along = c0 + best_t * (c1 - c0);
    out->point.lat = a.lat + (c.lat - a.lat) * best_t;
    out->point.lon = a.lon + (c.lon - a.lon) * best_t;
  }
}

guint
cd_city_snap (CdCity *city,
              double  lat,
              double  lon,
              double *snapped_lat,
              double *snapped_lon)
{
  Snap snap;

  g_return_val_if_fail (city != NULL, 0);

  snap_to_street (city, lat, lon, &snap);
  if (snapped_lat)
    *snapped_lat = snap.point.lat;
  if (snapped_lon)
    *snapped_lon = snap.point.lon;
  return snap.street;
}

/* Routing --------------------------------------------------------------------- */

typedef struct {
  double key;
  guint  node;
} HeapItem;

static void
heap_push (GArray *heap,
           double  key,
           guint   node)
{
  HeapItem item = { key, node };
  guint i = heap->len;

  g_array_append_val (heap, item);
  while (i > 0)
    {
      guint parent = (i - 1) / 2;
      HeapItem *h = (HeapItem *) heap->data;

      if (h[parent].key < h[i].key || (h[parent].key == h[i].key && h[parent].node <= h[i].node))
        break;
      item = h[parent];
      h[parent] = h[i];
      h[i] = item;
      i = parent;
    }
}

static gboolean
heap_less (HeapItem *a,
           HeapItem *b)
{
  return a->key < b->key || (a->key == b->key && a->node < b->node);
}

static gboolean
heap_pop (GArray   *heap,
          HeapItem *out)
{
  HeapItem *h;
  guint i = 0;

  if (heap->len == 0)
    return FALSE;

  h = (HeapItem *) heap->data;
  *out = h[0];
  h[0] = h[heap->len - 1];
  g_array_set_size (heap, heap->len - 1);
  h = (HeapItem *) heap->data;

  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, m = i;
      HeapItem tmp;

      if (l < heap->len && heap_less (&h[l], &h[m]))
        m = l;
      if (r < heap->len && heap_less (&h[r], &h[m]))
        m = r;
      if (m == i)
        break;
      tmp = h[m];
      h[m] = h[i];
      h[i] = tmp;
      i = m;
    }

  return TRUE;
}

static void
route_add (CdCityRoute *route,
           CdCityPoint  p,
           double       speed_ms)
{
  double t = 0;

  if (route->points->len > 0)
    {
      CdCityPoint last = g_array_index (route->points, CdCityPoint, route->points->len - 1);
      double len = point_dist (last, p);

      if (len < 0.01)
        return;
      route->length_m += len;
      t = g_array_index (route->times, double, route->times->len - 1) + len / speed_ms;
    }

  g_array_append_val (route->points, p);
  g_array_append_val (route->times, t);
}

static CdCityPoint
street_point_at (CdCity *city,
                 guint   street,
                 double  along)
{
  CdCityStreet *s = &g_array_index (city->streets, CdCityStreet, street);
  GArray *cum = g_ptr_array_index (city->street_cum, street);
  CdCityPoint p = g_array_index (s->points, CdCityPoint, s->points->len - 1);

  for (guint k = 0; k + 1 < s->points->len; k++)
    {
      double c0 = g_array_index (cum, double, k), c1 = g_array_index (cum, double, k + 1);

      if (along <= c1 || k + 2 == s->points->len)
        {
          CdCityPoint a = g_array_index (s->points, CdCityPoint, k);
          CdCityPoint c = g_array_index (s->points, CdCityPoint, k + 1);
          double t = c1 > c0 ? CLAMP ((along - c0) / (c1 - c0), 0.0, 1.0) : 0.0;

          p.lat = a.lat + (c.lat - a.lat) * t;
          p.lon = a.lon + (c.lon - a.lon) * t;
          break;
        }
    }

  return p;
}

/* Appends the stretch of @street from @s0 to @s1 metres (either way). */
static void
route_add_stretch (CdCity      *city,
                   CdCityRoute *route,
                   guint        street,
                   double       s0,
                   double       s1)
{
  CdCityStreet *s = &g_array_index (city->streets, CdCityStreet, street);
  GArray *cum = g_ptr_array_index (city->street_cum, street);
  double v = s->speed_kmh / 3.6;

  route_add (route, street_point_at (city, street, s0), v);
  if (s1 >= s0)
    {
      for (guint k = 0; k < s->points->len; k++)
        {
          double c = g_array_index (cum, double, k);

          if (c > s0 && c < s1)
            route_add (route, g_array_index (s->points, CdCityPoint, k), v);
        }
    }
  else
    {
      for (guint k = s->points->len; k-- > 0;)
        {
          double c = g_array_index (cum, double, k);

          if (c < s0 && c > s1)
            route_add (route, g_array_index (s->points, CdCityPoint, k), v);
        }
    }
  route_add (route, street_point_at (city, street, s1), v);
}

CdCityRoute *
cd_city_route (CdCity *city,
               double  from_lat,
               double  from_lon,
               double  to_lat,
               double  to_lon)
{
  guint n;
  g_autofree double *dist = NULL;
  g_autofree guint *via = NULL;       /* the street a node was reached by */
  g_autofree gboolean *done = NULL;
  g_autoptr(GArray) heap = NULL;
  g_autoptr(GArray) path = NULL;
  CdCityRoute *route;
  CdCityStreet *sa, *sz;
  Snap a, z;
  double va, vz, best = INFINITY;
  guint best_node = G_MAXUINT;
  gboolean direct = FALSE;
  HeapItem item;

  g_return_val_if_fail (city != NULL, NULL);

  snap_to_street (city, from_lat, from_lon, &a);
  snap_to_street (city, to_lat, to_lon, &z);
  sa = &g_array_index (city->streets, CdCityStreet, a.street);
  sz = &g_array_index (city->streets, CdCityStreet, z.street);
  va = sa->speed_kmh / 3.6;
  vz = sz->speed_kmh / 3.6;

  n = city->nodes->len;
  dist = g_new (double, n);
  via = g_new (guint, n);
  done = g_new0 (gboolean, n);
  for (guint i = 0; i < n; i++)
    {
      dist[i] = INFINITY;
      via[i] = G_MAXUINT;
    }
  heap = g_array_new (FALSE, FALSE, sizeof (HeapItem));

  if (a.street == z.street)
    {
      best = fabs (z.along - a.along) / va;
      direct = TRUE;
    }

#define H(node) (point_dist (g_array_index (city->nodes, CdCityNode, node).point, z.point) / city->max_speed_ms)
  dist[sa->from] = a.along / va;
  heap_push (heap, dist[sa->from] + H (sa->from), sa->from);
  if ((sa->length_m - a.along) / va < dist[sa->to])
    {
      dist[sa->to] = (sa->length_m - a.along) / va;
      heap_push (heap, dist[sa->to] + H (sa->to), sa->to);
    }

  while (heap_pop (heap, &item))
    {
      guint u = item.node;

      if (done[u])
        continue;
      if (item.key >= best)
        break;
      done[u] = TRUE;

      if (u == sz->from && dist[u] + z.along / vz < best)
        {
          best = dist[u] + z.along / vz;
          best_node = u;
          direct = FALSE;
        }
      if (u == sz->to && dist[u] + (sz->length_m - z.along) / vz < best)
        {
          best = dist[u] + (sz->length_m - z.along) / vz;
          best_node = u;
          direct = FALSE;
        }

      for (guint k = city->adj_start[u]; k < city->adj_start[u + 1]; k++)
        {
          guint e = city->adj[k];
          CdCityStreet *s = &g_array_index (city->streets, CdCityStreet, e);
          guint v = s->from == u ? s->to : s->from;
          double d = dist[u] + s->length_m / (s->speed_kmh / 3.6);

          if (!done[v] && d < dist[v])
            {
              dist[v] = d;
              via[v] = e;
              heap_push (heap, d + H (v), v);
            }
        }
    }
#undef H

  route = g_new0 (CdCityRoute, 1);
  route->points = g_array_new (FALSE, FALSE, sizeof (CdCityPoint));
  route->times = g_array_new (FALSE, FALSE, sizeof (double));

  if (direct || best_node == G_MAXUINT)
    {
      route_add_stretch (city, route, a.street, a.along, z.along);
    }
  else
    {
      guint u = best_node;

      /* The streets back to the start, then forwards. */
      path = g_array_new (FALSE, FALSE, sizeof (guint));
      while (via[u] != G_MAXUINT)
        {
          CdCityStreet *s = &g_array_index (city->streets, CdCityStreet, via[u]);

          g_array_append_val (path, via[u]);
          u = s->from == u ? s->to : s->from;
        }

      route_add_stretch (city, route, a.street, a.along, u == sa->from ? 0 : sa->length_m);
      for (guint k = path->len; k-- > 0;)
        {
          guint e = g_array_index (path, guint, k);
          CdCityStreet *s = &g_array_index (city->streets, CdCityStreet, e);
          gboolean forward = s->from == u;

          route_add_stretch (city, route, e, forward ? 0 : s->length_m, forward ? s->length_m : 0);
          u = forward ? s->to : s->from;
        }
      route_add_stretch (city, route, z.street, u == sz->from ? 0 : sz->length_m, z.along);
    }

  route->duration_s = g_array_index (route->times, double, route->times->len - 1);
  return route;
}

void
cd_city_route_free (CdCityRoute *route)
{
  if (route == NULL)
    return;

  g_array_unref (route->points);
  g_array_unref (route->times);
  g_free (route);
}

gboolean
cd_city_route_position_at (const CdCityRoute *route,
                           double             seconds,
                           double            *lat,
                           double            *lon,
                           double            *heading,
                           double            *speed_kmh)
{
  const CdCityPoint *pts;
  const double *times;
  guint n, lo, hi;
  CdCityPoint p;
  double h = 0, v = 0;
  gboolean moving = FALSE;

  g_return_val_if_fail (route != NULL && route->points->len > 0, FALSE);

  pts = (const CdCityPoint *) route->points->data;
  times = (const double *) route->times->data;
  n = route->points->len;

  if (n == 1 || seconds >= route->duration_s)
    {
      p = pts[n - 1];
      if (n >= 2)
        h = bearing (pts[n - 2], pts[n - 1]);
    }
  else
    {
      double t;

      seconds = MAX (seconds, 0.0);
      /* The stretch [lo, lo + 1] holding @seconds. */
      lo = 0;
      hi = n - 1;
      while (hi - lo > 1)
        {
          guint mid = (lo + hi) / 2;

          if (times[mid] <= seconds)
            lo = mid;
          else
            hi = mid;
        }
      t = times[hi] > times[lo] ? (seconds - times[lo]) / (times[hi] - times[lo]) : 0;
      p.lat = pts[lo].lat + (pts[hi].lat - pts[lo].lat) * t;
      p.lon = pts[lo].lon + (pts[hi].lon - pts[lo].lon) * t;
      h = bearing (pts[lo], pts[hi]);
      v = times[hi] > times[lo] ? point_dist (pts[lo], pts[hi]) / (times[hi] - times[lo]) * 3.6 : 0;
      moving = TRUE;
    }

  if (lat)
    *lat = p.lat;
  if (lon)
    *lon = p.lon;
  if (heading)
    *heading = h;
  if (speed_kmh)
    *speed_kmh = v;
  return moving;
}

/* Addresses ------------------------------------------------------------------- */

char *
cd_city_random_address (CdCity     *city,
                        GRand      *rand,
                        const char *district_id,
                        double     *lat,
                        double     *lon)
{
  const CdCityDistrict *district = NULL;
  AddressPool *pool;
  CdCityStreet *s = NULL;
  double total, along = 0, plat = 0, plon = 0;
  gboolean found = FALSE;

  g_return_val_if_fail (city != NULL, NULL);
  g_return_val_if_fail (rand != NULL, NULL);

  if (district_id != NULL)
    {
      district = cd_city_find_district (city, district_id);
      if (district == NULL)
        return NULL;
      pool = &city->pools[district - (const CdCityDistrict *) city->districts->data];
    }
  else
    pool = &city->pools[city->districts->len];

  if (pool->streets->len == 0)
    return NULL;
  total = g_array_index (pool->cumulative, double, pool->cumulative->len - 1);

  for (guint attempt = 0; attempt < 64 && !found; attempt++)
    {
      double r = g_rand_double_range (rand, 0, total);
      guint lo = 0, hi = pool->streets->len - 1;

      while (lo < hi)
        {
          guint mid = (lo + hi) / 2;

          if (g_array_index (pool->cumulative, double, mid) > r)
            hi = mid;
          else
            lo = mid + 1;
        }

      s = &g_array_index (city->streets, CdCityStreet, g_array_index (pool->streets, guint, lo));
      along = s->length_m * g_rand_double_range (rand, 0.1, 0.9);
      cd_city_point_along (s->points, along, &plat, &plon, NULL);
      found = district == NULL || cd_city_district_at (city, plat, plon) == district;
    }

  /* Every street in the pool has its middle in the district. */
  if (!found)
    {
      along = s->length_m / 2;
      cd_city_point_along (s->points, along, &plat, &plon, NULL);
    }

  if (lat)
    *lat = plat;
  if (lon)
    *lon = plon;
  return g_strdup_printf ("%s %u", s->name, 1 + (guint) ((s->road_offset_m + along) / 12.0));
}

CdUrgency
cd_city_report_urgency (CdCategory  category,
                        GRand      *rand)
{
  switch (category)
    {
    case CD_CATEGORY_POWER_OUTAGE:
    case CD_CATEGORY_BURST_PIPE:
      return CD_URGENCY_EMERGENCY;
    case CD_CATEGORY_LEAK:
      return g_rand_double (rand) < 0.7 ? CD_URGENCY_EMERGENCY : CD_URGENCY_URGENT;
    case CD_CATEGORY_NO_HEAT:
    case CD_CATEGORY_NO_POWER:
    case CD_CATEGORY_COMPLAINT:
      return CD_URGENCY_URGENT;
    case CD_CATEGORY_LOW_TEMPERATURE:
    case CD_CATEGORY_VOLTAGE_QUALITY:
    case CD_CATEGORY_METER:
    case CD_CATEGORY_BILLING:
    case CD_CATEGORY_INQUIRY:
    case CD_CATEGORY_NEW_CONNECTION:
    default:
      return CD_URGENCY_NORMAL;
    }
}
