#!/usr/bin/env bash
# Does nothing.
