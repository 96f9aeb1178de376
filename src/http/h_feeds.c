/* /api/v1/feeds: the feeds ermes can parse. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access/access.h"
#include "core/alloc.h"
#include "core/time.h"
#include "http/http.h"
#include "intake/export.h"
#include "intake/intake.h"
#include "intake/parser.h"
#include "model/harmonize.h"

enum MHD_Result ermes__h_feed_list(ermes__req_t *req)
{
    json_t *data = json_array();

    for (size_t k = 0; ermes__parsers[k]; k++)
        json_array_append_new(data, json_pack("{s:s,s:s}", "name", ermes__parsers[k]->name,
                                              "description", ermes__parsers[k]->description));
    return ermes__reply_json(req, 200, json_pack("{s:o,s:n}", "data", data, "next_cursor"));
}
