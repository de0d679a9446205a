#pragma once
#include "tarmac/video/annotate.hpp"
#include "tarmac/video/source.hpp"
#include "tarmac/video/writer.hpp"
