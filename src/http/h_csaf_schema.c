/* GET /api/v1/csaf/schema: the CSAF 2.0 JSON schema ermes validates with (data/csaf/
 * csaf_json_schema.json, embedded at build time). The web UI's advisory editor builds its form
 * from it, so the form and the validator never disagree about what a document may hold. */
#include "http/http.h"

extern const unsigned char ermes__csaf_schema[];
extern const size_t ermes__csaf_schema_len;

enum MHD_Result ermes__h_csaf_schema(ermes__req_t *req)
{
    return ermes__reply_static(req, 200, "application/schema+json", ermes__csaf_schema,
                               ermes__csaf_schema_len);
}
