# Finds XGBoost's C API (Debian: libxgboost-dev) and defines XGBoost::xgboost.
#
# Debian 12's package ships a CMake config, but it names an imported
# executable (/usr/bin/xgboost) that the package does not install, so
# find_package(xgboost CONFIG) fails; the header and library are all we need.
find_path(XGBOOST_INCLUDE_DIR xgboost/c_api.h)
find_library(XGBOOST_LIBRARY NAMES xgboost)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(XGBoost
  REQUIRED_VARS XGBOOST_LIBRARY XGBOOST_INCLUDE_DIR)

if(XGBoost_FOUND AND NOT TARGET XGBoost::xgboost)
  add_library(XGBoost::xgboost UNKNOWN IMPORTED)
  set_target_properties(XGBoost::xgboost PROPERTIES
    IMPORTED_LOCATION "${XGBOOST_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${XGBOOST_INCLUDE_DIR}")
endif()
mark_as_advanced(XGBOOST_INCLUDE_DIR XGBOOST_LIBRARY)
