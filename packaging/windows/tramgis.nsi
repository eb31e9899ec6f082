; The tramgis installer for Windows (NSIS 3, Unicode). Built by
; packaging/windows/build.sh, which passes VERSION, DIST (the staged
; program folder) and OUTFILE.
;
; Installs for all users into Program Files, adds a Start-menu entry,
; opens .gpkg files in tramgis, and registers an uninstaller. Silent
; install: tramgis-setup-VERSION.exe /S [/D=C:\path]; silent removal:
; uninstall.exe /S.

; A 64-bit installer for a 64-bit program (and Wine's wow64-less wine64).
Target amd64-unicode
SetCompressor /SOLID lzma

!include "MUI2.nsh"

!ifndef VERSION
  !error "VERSION is not defined (build.sh passes it)"
!endif
!ifndef DIST
  !error "DIST is not defined (build.sh passes it)"
!endif

!define APP "tramgis"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\tramgis"
!define PROGID "tramgis.GeoPackage"

Name "${APP} ${VERSION}"
OutFile "${OUTFILE}"
InstallDir "$PROGRAMFILES64\tramgis"
InstallDirRegKey HKLM "Software\tramgis" "InstallDir"
RequestExecutionLevel admin
ManifestDPIAware true

!define MUI_ICON "${NSISDIR}\Contrib\Graphics\Icons\modern-install.ico"
!define MUI_UNICON "${NSISDIR}\Contrib\Graphics\Icons\modern-uninstall.ico"
!define MUI_FINISHPAGE_RUN "$INSTDIR\tramgis.exe"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_LICENSE "${DIST}\LICENSES\tramgis.txt"
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; Vietnamese first: the installer speaks it unless Windows is set otherwise.
!insertmacro MUI_LANGUAGE "Vietnamese"
!insertmacro MUI_LANGUAGE "English"

Function .onInit
  SetRegView 64
  !insertmacro MUI_LANGDLL_DISPLAY
FunctionEnd

Function un.onInit
  SetRegView 64
FunctionEnd

Section "tramgis" SecMain
  SectionIn RO
  SetOutPath "$INSTDIR"
  File /r "${DIST}\*"

  WriteUninstaller "$INSTDIR\uninstall.exe"
  WriteRegStr HKLM "Software\tramgis" "InstallDir" "$INSTDIR"

  ; Start menu, for all users.
  SetShellVarContext all
  CreateDirectory "$SMPROGRAMS\tramgis"
  CreateShortcut "$SMPROGRAMS\tramgis\tramgis.lnk" "$INSTDIR\tramgis.exe" "" "$INSTDIR\tramgis.exe" 0
  CreateShortcut "$SMPROGRAMS\tramgis\Gỡ cài đặt tramgis (Uninstall).lnk" "$INSTDIR\uninstall.exe"

  ; .gpkg files open in tramgis (IANA type application/geopackage+sqlite3).
  WriteRegStr HKLM "Software\Classes\.gpkg" "" "${PROGID}"
  WriteRegStr HKLM "Software\Classes\.gpkg" "Content Type" "application/geopackage+sqlite3"
  WriteRegStr HKLM "Software\Classes\.gpkg\OpenWithProgids" "${PROGID}" ""
  WriteRegStr HKLM "Software\Classes\${PROGID}" "" "GeoPackage"
  WriteRegStr HKLM "Software\Classes\${PROGID}\DefaultIcon" "" "$INSTDIR\tramgis.exe,0"
  WriteRegStr HKLM "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\tramgis.exe" "%1"'

  ; Programs and Features.
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayName" "tramgis ${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "Publisher" "tramgis developers"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\tramgis.exe"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINSTALL_KEY}" "NoRepair" 1
SectionEnd

Section "Uninstall"
  SetShellVarContext all
  Delete "$SMPROGRAMS\tramgis\*.lnk"
  RMDir "$SMPROGRAMS\tramgis"

  ; Only our association: another program may have taken .gpkg since.
  ReadRegStr $0 HKLM "Software\Classes\.gpkg" ""
  StrCmp $0 "${PROGID}" 0 +2
    DeleteRegKey HKLM "Software\Classes\.gpkg"
  DeleteRegValue HKLM "Software\Classes\.gpkg\OpenWithProgids" "${PROGID}"
  DeleteRegKey HKLM "Software\Classes\${PROGID}"
  DeleteRegKey HKLM "${UNINSTALL_KEY}"
  DeleteRegKey HKLM "Software\tramgis"

  ; The user's workspaces live elsewhere (their documents, the app data
  ; folder): only what the installer put here goes.
  RMDir /r "$INSTDIR"
SectionEnd
