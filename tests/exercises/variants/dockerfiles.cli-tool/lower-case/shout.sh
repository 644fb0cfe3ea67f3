#!/bin/sh
echo "$*" | tr 'A-Z' 'a-z'
