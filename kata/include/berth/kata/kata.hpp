// Runtime selection and the Kata policy: everything of berth/kata that every build has.
// The containerd side, berth/kata/containerd.hpp, exists only in builds with the containerd
// backend: include it yourself.
#pragma once

#include "berth/kata/docker.hpp"
#include "berth/kata/error.hpp"
#include "berth/kata/policy.hpp"
#include "berth/kata/runtime.hpp"
