/*
 * lwm2m_objects.h — the part of the LwM2M object model the Bootstrap-Server
 * needs: resource types of objects 0 (Security), 1 (Server), 2 (Access
 * Control) and 21 (OSCORE) in each object version, and the conversion of
 * untyped TLV values (and loosely typed SenML numbers) into those types.
 *
 * Source: the OMA registry XML (0.xml v1.2, 1.xml v1.2, 2.xml and
 * version_history/2-1_1.xml, version_history/21-1_1.xml and 21-2_0.xml);
 * for the 1.0/1.1 versions of objects 0 and 1, LwM2M Core 1.1 Appendix E
 * (see lwm2m_objects.c for the choices made where they differ). Objects
 * the model does not know are the caller's to treat as opaque.
 */
#ifndef BSD_LWM2M_LWM2M_OBJECTS_H
#define BSD_LWM2M_LWM2M_OBJECTS_H

#include <stdbool.h>
#include <stdint.h>

#include "bsd/lwm2m/lwm2m_data.h"

#define LWM2M_OBJ_SECURITY 0
#define LWM2M_OBJ_SERVER   1
#define LWM2M_OBJ_ACL      2
#define LWM2M_OBJ_OSCORE   21

/* Operations a LwM2M Server may perform (registry <Operations>). Objects 0
 * and 21 list none: only the Bootstrap-Server writes them. */
#define LWM2M_OBJ_OP_R 0x1
#define LWM2M_OBJ_OP_W 0x2
#define LWM2M_OBJ_OP_E 0x4

/* One resource definition. */
typedef struct lwm2m_obj_res {
    uint16_t id;
    lwm2m_type_t type; /* LWM2M_T_NONE for executable resources */
    bool multiple;     /* multiple-instance resource (depth-4 records) */
    bool mandatory;
    uint8_t ops; /* LWM2M_OBJ_OP_* */
    const char *name;
} lwm2m_obj_res_t;

/*
 * Looks up resource |res| of object |obj| in object version
 * |ver_major|.|ver_minor| (pass 1.0 when the client's Discover gave no
 * ver=). A minor version newer than the model knows for that major uses
 * the newest known (resources it adds are then unknown); an unknown major
 * version (e.g. 21 v3.0) or object gives NULL, as does a resource the
 * version does not define. Returns a pointer to static data.
 */
const lwm2m_obj_res_t *lwm2m_obj_res(uint16_t obj, uint8_t ver_major, uint8_t ver_minor, uint16_t res);

/* 1 when the model has a definition for |obj| in major version
 * |ver_major| (any minor), else 0. */
int lwm2m_obj_known(uint16_t obj, uint8_t ver_major);

/*
 * Gives |*raw| the type resource |res| of |obj| (version
 * |ver_major|.|ver_minor|) has, into |*typed| (which may alias |raw|).
 * Strings and opaque values keep pointing at |raw|'s bytes.
 *
 * For LWM2M_T_RAW (TLV) input, the bytes are read as the resource's type
 * per LwM2M Core Appendix C: Integer and Time as 1/2/4/8-byte signed,
 * Unsigned Integer as 1/2/4/8-byte unsigned, Float as 4/8 bytes, Boolean as
 * one byte 0/1, Objlnk as 4 bytes; String, Opaque and Corelnk as they are.
 * Already typed input (SenML) is checked and converted where no
 * information is lost: INTEGER/UNSIGNED/TIME among themselves when the
 * value fits, FLOAT to an integer type when it is integral and fits, any
 * integer to FLOAT, STRING and CORELNK into each other.
 *
 * Returns 0 when converted, 1 when the model does not know the resource
 * (then |*typed| is a copy of |*raw|, LWM2M_T_RAW turned into
 * LWM2M_T_OPAQUE), or:
 *   LWM2M_ERR_FORMAT  raw bytes of the wrong length or value for the type;
 *   LWM2M_ERR_RANGE   a number that does not fit the resource's type;
 *   LWM2M_ERR_TYPE    an executable resource, or typed input of another
 *                     kind (e.g. a boolean for an integer resource).
 */
int lwm2m_obj_typed_from_raw(uint16_t obj, uint8_t ver_major, uint8_t ver_minor, uint16_t res,
                             const lwm2m_value_t *raw, lwm2m_value_t *typed);

#endif
