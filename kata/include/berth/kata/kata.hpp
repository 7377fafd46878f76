// Runtime selection and the Kata policy: everything of berth/kata.
#pragma once

#include "berth/kata/docker.hpp"
#include "berth/kata/error.hpp"
#include "berth/kata/policy.hpp"
#include "berth/kata/runtime.hpp"
