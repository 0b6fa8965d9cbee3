// lucid/trace/trace.hpp: everything an application needs to instrument code
// (levels, fields, events, spans, dispatch). Subscribers live in
// lucid/trace/subscriber/ and lucid/trace/init.hpp.
//
// Contract: see the included headers.
#pragma once

#include "lucid/trace/callsite.hpp"
#include "lucid/trace/dispatch.hpp"
#include "lucid/trace/event.hpp"
#include "lucid/trace/field.hpp"
#include "lucid/trace/instrument.hpp"
#include "lucid/trace/level.hpp"
#include "lucid/trace/span.hpp"
#include "lucid/trace/subscriber.hpp"
